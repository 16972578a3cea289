"""The chapters' experiments: one shared framework (:mod:`dicecore.experiments.study`: cells, a budgeted
runner on any executor, one result store) and one module per chapter holding what is specific to its paper."""
