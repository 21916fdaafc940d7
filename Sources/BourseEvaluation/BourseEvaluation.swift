/// Namespace of the BourseEvaluation module (placeholder until the module's first real type lands).
public enum BourseEvaluationModule {}
