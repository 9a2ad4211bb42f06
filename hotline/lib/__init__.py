"""Small shared helpers without models: configuration, phone numbers, money, addresses, dates."""
