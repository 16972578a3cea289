"""Drop repeated ``<script>`` entries from each page.

sphinx-thebe 0.3.1 registers its inline configuration script once per ``env-before-read-docs`` event, and
Jupyter Book fires that event more than once, so every page declared ``const THEBE_JS_URL`` twice and the
browser raised "Identifier 'THEBE_JS_URL' has already been declared" (found by ``tests/test_book.py``'s
browser check). This extension keeps the first copy of each script.
"""


def _key(script):
    filename = getattr(script, "filename", script) or ""  # an inline script is filed under None or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def unique_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
