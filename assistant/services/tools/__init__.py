"""Tools the model may call: defined once from a Pydantic arguments model (``spec``), adapted to each
provider's wire format, run server-side for the acting user (``registry``). ``builtin`` lists the tools
the product ships."""
