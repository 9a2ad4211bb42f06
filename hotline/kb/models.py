"""The knowledge base (知识库): articles agents find by keyword, product and category, ranked by use."""
