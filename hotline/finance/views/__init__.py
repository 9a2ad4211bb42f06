"""The finance workbench (/finance/): one module per tab; views are thin, the actions write."""
