"""Export: hand back what a person chose (DESIGN.md section 7).

- ``settings``: the settings file that reproduces a selection (schema in ``schema/``);
- ``apply``: read a settings file, check its inputs, and reproduce the selection;
- ``mappings``: the same choice as sentence-transformers, FlagEmbedding or SimANS arguments;
- ``training_data``: the selection as training files in the formats people train with;
- ``report``: a self-contained HTML report comparing strategies.

Nothing is re-exported here; import the module that holds the idea.
"""
