/// Namespace of the BoursePackage module (placeholder until the module's first real type lands).
public enum BoursePackageModule {}
