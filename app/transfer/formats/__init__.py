"""One module per wire format; see app.transfer.registry for what each provides."""
