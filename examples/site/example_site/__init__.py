"""The example site's code beside app.py: pages, the notes store, demo accounts, assets."""
