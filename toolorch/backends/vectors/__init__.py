"""qdrant_search_similar: all-MiniLM-L6-v2 embeddings of code symbols in Qdrant."""
