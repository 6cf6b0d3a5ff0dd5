"""The NegLens Streamlit app: thin pages over ``analysis`` (start it with ``make dashboard``)."""
