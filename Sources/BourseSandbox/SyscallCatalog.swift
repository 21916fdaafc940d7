/// The rule groups a ``SeccompPolicy`` is assembled from. Each function
/// returns rules in the order they are printed.
enum SyscallCatalog {
    typealias C = LinuxConstants

    // MARK: Conditions

    static func readOnlyOpen(flagsArgument: Int) -> ArgumentCondition {
        ArgumentCondition(argument: flagsArgument, name: "flags", .maskedEqual, .constant(C.O_RDONLY),
                          mask: C.openWriteMask,
                          text: "flags & (O_ACCMODE|O_CREAT|O_TRUNC|O_APPEND|__O_TMPFILE) == O_RDONLY")
    }

    static func noTemporaryFile(flagsArgument: Int) -> ArgumentCondition {
        ArgumentCondition(argument: flagsArgument, name: "flags", .maskedEqual, .constant(0),
                          mask: C.O_TMPFILE_BIT, text: "flags & __O_TMPFILE == 0")
    }

    static let noExec = ArgumentCondition(argument: 2, name: "prot", .maskedEqual, .constant(0),
                                          mask: C.PROT_EXEC, text: "prot & PROT_EXEC == 0")

    static let threadFlags = ArgumentCondition(
        argument: 0, name: "flags", .maskedEqual, .constant(C.threadCloneFlags), mask: C.threadCloneMask,
        text: "flags & (CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEW*) == CLONE_VM|CLONE_SIGHAND|CLONE_THREAD")

    static func fd(_ value: UInt64, _ name: String) -> ArgumentCondition {
        ArgumentCondition(argument: 0, name: "fd", .equal, .constant(value), text: "fd == \(value) (\(name))")
    }

    static let ownProcess = ArgumentCondition(argument: 0, name: "pid", .equal, .ownProcessID, text: "pid == own pid")
    static let ownThreadGroup = ArgumentCondition(argument: 0, name: "tgid", .equal, .ownProcessID, text: "tgid == own pid")

    // MARK: Kill list

    /// Calls only an attack makes: the process is killed with SIGSYS at once.
    static func killList() -> [SeccompRule] {
        let groups: [([String], String)] = [
            (["ptrace"], "debugger interface: read and write another process's memory and registers"),
            (["process_vm_readv", "process_vm_writev"], "read or write another process's memory directly"),
            (["pidfd_getfd"], "steal a file descriptor from another process"),
            (["mount", "umount2", "pivot_root", "chroot", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
              "open_tree", "mount_setattr"], "change the mount table or root: the classic container escape"),
            (["unshare", "setns"], "create or enter namespaces (user namespaces expose privileged kernel code)"),
            (["open_by_handle_at"], "open files by handle, bypassing path checks (the 'shocker' escape)"),
            (["kexec_load", "kexec_file_load", "reboot"], "replace or restart the running kernel"),
            (["init_module", "finit_module", "delete_module"], "load or unload kernel code"),
            (["bpf"], "load programs into the kernel: large attack surface"),
            (["perf_event_open"], "performance counters: side channels and kernel attack surface"),
            (["userfaultfd"], "stalls page faults; used to win kernel races in exploits"),
            (["keyctl", "add_key", "request_key"], "kernel keyrings hold credentials and disk keys"),
            (["iopl", "ioperm"], "raw hardware I/O port access"),
            (["modify_ldt"], "x86 segment tables: kernel attack surface, needed only by 16-bit emulators"),
            (["swapon", "swapoff"], "change the machine's swap"),
            (["acct", "quotactl"], "machine-wide accounting and disk quotas"),
            (["settimeofday", "clock_settime", "clock_adjtime"], "change the system clock: every timestamp depends on it"),
            (["sethostname", "setdomainname"], "rename the machine"),
            (["uselib", "vhangup", "lookup_dcookie"], "obsolete or administrative calls no plugin makes"),
        ]
        return groups.flatMap { names, reason in names.map { SeccompRule($0, .killProcess, reason: reason) } }
    }

    // MARK: What the Swift runtime, glibc and Dispatch need in every stage

    static func runtime() -> [SeccompRule] {
        var rules: [SeccompRule] = []
        func allow(_ names: [String], _ reason: String) {
            rules += names.map { SeccompRule($0, .allow, reason: reason) }
        }
        allow(["brk", "munmap", "mremap", "madvise"], "heap and memory management (malloc, thread stacks)")
        allow(["futex", "set_robust_list", "rseq", "sched_yield"], "locks, condition variables and the shared-memory transport's waits")
        allow(["sched_getaffinity"], "CPU count (Dispatch, Swift concurrency)")
        allow(["clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep"], "clocks and sleeping")
        allow(["getpid", "gettid", "getuid", "geteuid", "getgid", "getegid"], "own identity (glibc, Foundation)")
        allow(["rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall"], "signal handling (Swift runtime crash handlers)")
        rules.append(SeccompRule("tgkill", .allow, when: [ownThreadGroup], reason: "signal a thread of this process only (raise, abort, pthread_kill)"))
        rules.append(SeccompRule("kill", .allow, when: [ownProcess], reason: "signal this process only; other processes are off limits"))
        allow(["exit", "exit_group"], "end a thread or the process")
        allow(["getrandom"], "random numbers (hash seeds, SystemRandomNumberGenerator)")
        rules.append(SeccompRule("prctl", .allow, when: [
            ArgumentCondition(argument: 0, name: "option", .equal, .constant(C.PR_SET_NAME), text: "option == PR_SET_NAME"),
        ], reason: "name a thread (Dispatch workers)"))
        rules.append(SeccompRule("prctl", .allow, when: [
            ArgumentCondition(argument: 0, name: "option", .equal, .constant(C.PR_GET_NAME), text: "option == PR_GET_NAME"),
        ], reason: "read a thread's name"))
        rules.append(SeccompRule("setpriority", .allow, when: [
            ArgumentCondition(argument: 0, name: "which", .equal, .constant(C.PRIO_PROCESS), text: "which == PRIO_PROCESS"),
            ArgumentCondition(argument: 1, name: "who", .equal, .constant(0), text: "who == 0 (the calling thread)"),
            ArgumentCondition(argument: 2, name: "nice", .lessOrEqual, .constant(19), text: "0 <= nice <= 19"),
        ], reason: "Dispatch quality-of-service on its own threads: lower priority only, never another process"))
        rules.append(SeccompRule("prlimit64", .allow, when: [
            ArgumentCondition(argument: 0, name: "pid", .equal, .constant(0), text: "pid == 0 (self)"),
            ArgumentCondition(argument: 2, name: "new_limit", .equal, .constant(0), text: "new_limit == NULL (read only)"),
        ], reason: "read own limits (stack size for the main thread); limits cannot be changed"))
        allow(["getrlimit"], "read own limits")
        allow(["read", "readv", "pread64"], "read descriptors the process already holds")
        rules.append(SeccompRule("write", .allow, when: [fd(C.stdoutFD, "stdout")], reason: "print to the inherited standard output"))
        rules.append(SeccompRule("write", .allow, when: [fd(C.stderrFD, "stderr")], reason: "print to the inherited standard error"))
        rules.append(SeccompRule("write", .allow, when: [
            ArgumentCondition(argument: 2, name: "count", .equal, .constant(8), text: "count == 8"),
        ], reason: "8-byte writes: eventfd wake-ups (Dispatch's event loop); the worker holds no other writable descriptor worth protecting"))
        rules.append(SeccompRule("writev", .allow, when: [fd(C.stdoutFD, "stdout")], reason: "print to the inherited standard output"))
        rules.append(SeccompRule("writev", .allow, when: [fd(C.stderrFD, "stderr")], reason: "print to the inherited standard error"))
        allow(["close", "lseek", "fcntl"], "manage descriptors the process already holds")
        allow(["fstat", "newfstatat"], "fstat (glibc implements it as newfstatat(fd, \"\", AT_EMPTY_PATH)); note: a path stat is not prevented")
        rules.append(SeccompRule("ioctl", .allow, when: [
            ArgumentCondition(argument: 1, name: "request", .equal, .constant(C.TCGETS), text: "request == TCGETS"),
        ], reason: "isatty() on first print; other requests (TIOCSTI...) are denied"))
        allow(["epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2"],
              "Dispatch's event loop (denying it makes Dispatch crash with SIGILL)")
        allow(["timerfd_create", "timerfd_settime", "timerfd_gettime"], "Dispatch timers")
        allow(["poll", "ppoll"], "wait on descriptors already held")
        rules.append(SeccompRule("clone3", .notImplemented,
                                 reason: "arguments are in memory seccomp cannot inspect: ENOSYS makes glibc fall back to clone (EPERM would break pthread_create)"))
        rules.append(SeccompRule("openat2", .notImplemented,
                                 reason: "flags are in memory seccomp cannot inspect: ENOSYS makes callers fall back to openat"))
        return rules
    }

    // MARK: Loading (dlopen + create)

    static func loading(landlock: Bool) -> [SeccompRule] {
        var rules: [SeccompRule] = [
            SeccompRule("openat", .allow, when: [readOnlyOpen(flagsArgument: 2)], reason: "dlopen reads the plugin and its dependencies; create may open its files read-only"),
            SeccompRule("open", .allow, when: [readOnlyOpen(flagsArgument: 1)], reason: "legacy read-only open (old C libraries)"),
            SeccompRule("mmap", .allow, reason: "dlopen maps code segments executable"),
            SeccompRule("mprotect", .allow, reason: "dlopen applies RELRO and may need an executable stack"),
        ]
        let names: [(String, String)] = [
            ("statx", "stat files while loading"), ("readlink", "resolve /proc/self/exe and symlinks while loading"),
            ("readlinkat", "resolve symlinks while loading"), ("getdents64", "list directories while loading"),
            ("access", "check library paths"), ("faccessat", "check library paths"), ("faccessat2", "check library paths"),
            ("getcwd", "resolve relative paths"), ("uname", "system facts (Foundation's ProcessInfo)"),
            ("sysinfo", "memory size (Foundation's ProcessInfo)"),
        ]
        rules += names.map { SeccompRule($0.0, .allow, reason: $0.1) }
        rules.append(SeccompRule("prctl", .allow, when: [
            ArgumentCondition(argument: 0, name: "option", .equal, .constant(C.PR_SET_NO_NEW_PRIVS), text: "option == PR_SET_NO_NEW_PRIVS"),
        ], reason: "libseccomp sets no-new-privs again before loading the strict filter (can only restrict)"))
        rules.append(SeccompRule("seccomp", .allow, when: [
            ArgumentCondition(argument: 0, name: "operation", .equal, .constant(C.SECCOMP_SET_MODE_FILTER),
                              text: "operation == SECCOMP_SET_MODE_FILTER"),
        ], reason: "the worker loads the strict filter; a filter can only restrict"))
        if landlock {
            rules += ["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"].map {
                SeccompRule($0, .allow, reason: "the worker confines read-paths/write-paths with Landlock before the strict stage (can only restrict)")
            }
        }
        return rules
    }

    // MARK: Strict stage, by permission

    static func strictMemory(execMemory: Bool) -> [SeccompRule] {
        if execMemory {
            return [
                SeccompRule("mmap", .allow, reason: "exec-memory: JIT code pages"),
                SeccompRule("mprotect", .allow, reason: "exec-memory: JIT code pages"),
                SeccompRule("memfd_create", .allow, reason: "exec-memory: JITs double-map code through a memfd"),
            ]
        }
        return [
            SeccompRule("mmap", .allow, when: [noExec], reason: "memory without PROT_EXEC: no new code after loading"),
            SeccompRule("mprotect", .allow, when: [noExec], reason: "memory without PROT_EXEC: no new code after loading"),
        ]
    }

    static func threads(granted: Bool) -> [SeccompRule] {
        guard granted else {
            return [SeccompRule("clone", .killProcess, when: [threadFlags],
                                reason: "no threads permission: creating a thread kills the process at once (with EPERM, Dispatch and Swift concurrency retry pthread_create every second forever: a silent hang); fork-like clones get EPERM")]
        }
        return [SeccompRule("clone", .allow, when: [threadFlags],
                            reason: "threads permission: new threads only (no fork, no namespaces)")]
    }

    /// Opening files read-only and looking at metadata: for `read-paths`,
    /// and for `write-paths` (whose directories may be read too); `label`
    /// names the permission in the reasons.
    static func readPaths(granted: Bool, label: String = "read-paths") -> [SeccompRule] {
        guard granted else {
            return [SeccompRule("openat", .deny, reason: "no read-paths permission: the plugin opens no files after loading")]
        }
        let reason = "\(label): read-only opens; Landlock confines them to the granted paths"
        return [
            SeccompRule("openat", .allow, when: [readOnlyOpen(flagsArgument: 2)], reason: reason),
            SeccompRule("statx", .allow, reason: "\(label): file metadata"),
            SeccompRule("getdents64", .allow, reason: "\(label): list granted directories"),
            SeccompRule("readlinkat", .allow, reason: "\(label): resolve symlinks"),
            SeccompRule("readlink", .allow, reason: "\(label): resolve symlinks"),
            SeccompRule("faccessat2", .allow, reason: "\(label): check access"),
            SeccompRule("faccessat", .allow, reason: "\(label): check access"),
            SeccompRule("access", .allow, reason: "\(label): check access"),
        ]
    }

    /// Creating and changing files for `write-paths`, in both stages: seccomp
    /// lets the calls through, Landlock decides where they may act.
    static func writePaths(granted: Bool) -> [SeccompRule] {
        guard granted else { return [] }
        let confined = "Landlock confines it below the granted directories"
        var rules: [SeccompRule] = [
            SeccompRule("openat", .allow, when: [noTemporaryFile(flagsArgument: 2)],
                        reason: "write-paths: open for writing, create, truncate, append (never O_TMPFILE: unnamed files); \(confined)"),
            SeccompRule("open", .allow, when: [noTemporaryFile(flagsArgument: 1)],
                        reason: "write-paths: legacy open for writing (never O_TMPFILE); \(confined)"),
            SeccompRule("creat", .allow, reason: "write-paths: legacy create; \(confined)"),
        ]
        let groups: [([String], String)] = [
            (["write", "writev", "pwrite64", "pwritev", "pwritev2"],
             "write-paths: write to any descriptor the plugin holds (files it opened; Landlock checked the open)"),
            (["fsync", "fdatasync"], "write-paths: flush written files to disk"),
            (["ftruncate"], "write-paths: truncate an open file (Landlock TRUNCATE checked at open, ABI ≥ 3)"),
            (["mkdir", "mkdirat"], "write-paths: create directories; \(confined)"),
            (["rename", "renameat", "renameat2"], "write-paths: rename (atomic replace of an output file); \(confined)"),
            (["unlink", "unlinkat", "rmdir"], "write-paths: remove files and directories (temporary and stale outputs); \(confined)"),
        ]
        rules += groups.flatMap { names, reason in names.map { SeccompRule($0, .allow, reason: reason) } }
        return rules
    }

    static func network(granted: Bool) -> [SeccompRule] {
        guard granted else {
            return ["socket", "socketpair", "connect", "bind"].map {
                SeccompRule($0, .deny, reason: "no network permission")
            }
        }
        var rules: [SeccompRule] = []
        for (family, familyName) in [(C.AF_INET, "AF_INET"), (C.AF_INET6, "AF_INET6")] {
            for (type, typeName) in [(C.SOCK_STREAM, "SOCK_STREAM"), (C.SOCK_DGRAM, "SOCK_DGRAM")] {
                rules.append(SeccompRule("socket", .allow, when: [
                    ArgumentCondition(argument: 0, name: "domain", .equal, .constant(family), text: "domain == \(familyName)"),
                    ArgumentCondition(argument: 1, name: "type", .maskedEqual, .constant(type), mask: C.SOCK_TYPE_MASK,
                                      text: "type & 0xf == \(typeName)"),
                ], reason: "network: \(typeName == "SOCK_STREAM" ? "TCP" : "UDP") over \(familyName == "AF_INET" ? "IPv4" : "IPv6") only"))
            }
        }
        rules.append(SeccompRule("socketpair", .deny, reason: "network covers Internet sockets only"))
        let calls = ["connect", "bind", "listen", "accept", "accept4", "getsockname", "getpeername", "setsockopt",
                     "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
                     "select", "pselect6"]
        rules += calls.map { SeccompRule($0, .allow, reason: "network: use the Internet sockets the plugin created") }
        rules.append(SeccompRule("write", .allow, reason: "network: write to sockets (any descriptor the plugin holds)"))
        rules.append(SeccompRule("writev", .allow, reason: "network: write to sockets (any descriptor the plugin holds)"))
        for (request, name) in [(C.FIONREAD, "FIONREAD"), (C.FIONBIO, "FIONBIO")] {
            rules.append(SeccompRule("ioctl", .allow, when: [
                ArgumentCondition(argument: 1, name: "request", .equal, .constant(request), text: "request == \(name)"),
            ], reason: "network: socket \(name == "FIONREAD" ? "bytes available" : "non-blocking mode")"))
        }
        return rules
    }

    // MARK: Notable denials (documentation; the default action denies them anyway)

    static func notableDenials(execMemory: Bool) -> [SeccompRule] {
        var rules: [SeccompRule] = [
            SeccompRule("fork", .deny, reason: "no new processes"),
            SeccompRule("vfork", .deny, reason: "no new processes"),
            SeccompRule("execve", .deny, reason: "no other programs"),
            SeccompRule("execveat", .deny, reason: "no other programs"),
            SeccompRule("creat", .deny, reason: "no file writes"),
            SeccompRule("pidfd_open", .deny, reason: "no handles on other processes"),
            SeccompRule("pidfd_send_signal", .deny, reason: "no signals to other processes"),
            SeccompRule("tkill", .deny, reason: "cannot check the target belongs to this process; glibc uses tgkill"),
            SeccompRule("io_uring_setup", .deny, reason: "io_uring operations bypass seccomp"),
            SeccompRule("io_uring_enter", .deny, reason: "io_uring operations bypass seccomp"),
            SeccompRule("io_uring_register", .deny, reason: "io_uring operations bypass seccomp"),
        ]
        if !execMemory {
            rules.append(SeccompRule("memfd_create", .deny, reason: "anonymous files are a way to map new code"))
        }
        return rules
    }
}
