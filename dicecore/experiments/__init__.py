"""One module per chapter's experiments: task lists for the ci and paper profiles, and their runner."""
