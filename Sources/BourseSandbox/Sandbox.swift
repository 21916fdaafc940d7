// Placeholder: seccomp policies and limits.
