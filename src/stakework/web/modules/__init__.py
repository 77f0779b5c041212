"""Module pages by convention: `stakework.web.modules.<module name>:PAGE` (see `stakework.web.pages.modules`)."""
