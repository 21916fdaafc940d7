/// Namespace of the ModelPluginKit module (placeholder until its first real type lands).
public enum ModelPluginKitModule {}
