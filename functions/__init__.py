"""Lambda functions (one module each) and the local HTTP gateway that runs them."""
