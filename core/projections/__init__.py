"""Read models: event -> row handlers, their tables, their queries; and the projector that runs them."""
