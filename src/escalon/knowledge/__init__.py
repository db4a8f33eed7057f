"""The knowledge base: help articles, and which of them answer what a customer wrote."""
