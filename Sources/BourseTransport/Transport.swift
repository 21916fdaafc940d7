// Placeholder: frames over shared-memory rings.
