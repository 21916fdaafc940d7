/// Namespace of the BourseStore module (placeholder until the module's first real type lands).
public enum BourseStoreModule {}
