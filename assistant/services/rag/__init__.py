"""Documents and retrieval: upload and storage, ingestion (extract, chunk, embed, index) and hybrid search."""
