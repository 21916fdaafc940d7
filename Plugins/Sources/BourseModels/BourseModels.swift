/// Namespace of the BourseModels module (placeholder until its first real type lands).
public enum BourseModelsModule {}
