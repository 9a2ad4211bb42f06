"""The only code in Hotline that speaks SIP: messages, transport, transactions, a small UAS core, a registrar."""
