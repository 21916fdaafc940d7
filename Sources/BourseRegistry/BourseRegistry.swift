/// Namespace of the BourseRegistry module (placeholder until the module's first real type lands).
public enum BourseRegistryModule {}
