"""Customers (CRM): people and companies, deals, activities, comments, addresses, tags, dictionaries, todo links."""
