import BourseSandbox
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every combination of the five permissions (read-paths and write-paths with one path).
let allPermissionSets: [PluginPermissions] = (0..<32).map { bits in
    PluginPermissions(network: bits & 1 != 0, threads: bits & 2 != 0, execMemory: bits & 4 != 0,
                      readPaths: bits & 8 != 0 ? ["/data"] : [], writePaths: bits & 16 != 0 ? ["/out"] : [])
}

/// The calls that must kill the process in every stage, whatever the permissions.
let expectedKillList = [
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "mount", "umount2", "pivot_root", "chroot",
    "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "mount_setattr", "unshare", "setns",
    "open_by_handle_at", "kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "iopl", "ioperm", "modify_ldt",
    "swapon", "swapoff", "acct", "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "sethostname",
    "setdomainname", "uselib", "vhangup", "lookup_dcookie",
]

@Suite("Seccomp policy composition")
struct PolicyCompositionTests {
    @Test("the default action is EPERM and foreign architectures are killed")
    func defaults() {
        for policy in allPermissionSets.flatMap(SeccompPolicy.stages(for:)) {
            #expect(policy.defaultAction == .errno(EPERM))
            #expect(policy.foreignArchitectureAction == .killProcess)
        }
    }

    @Test("the kill list is the same in both stages for every permission set")
    func killList() {
        for policy in allPermissionSets.flatMap(SeccompPolicy.stages(for:)) {
            #expect(Set(policy.killList) == Set(expectedKillList), "\(policy.stage) \(policy.permissions)")
            for name in expectedKillList {
                #expect(policy.rules(for: name).count == 1, "\(name) has exactly its kill rule")
            }
        }
    }

    @Test("clone3 and openat2 answer ENOSYS so callers fall back to calls seccomp can inspect")
    func enosysFallbacks() {
        for policy in allPermissionSets.flatMap(SeccompPolicy.stages(for:)) {
            #expect(policy.unconditionalAction(for: "clone3") == .errno(ENOSYS))
            #expect(policy.unconditionalAction(for: "openat2") == .errno(ENOSYS))
        }
    }

    @Test("strict with no permission: no files, sockets, new code or threads; writes only to stdout/stderr")
    func strictWithoutPermissions() {
        let policy = SeccompPolicy(stage: .strict, permissions: .none)
        for name in ["openat", "open", "socket", "connect", "bind", "execve", "execveat", "fork", "vfork", "memfd_create",
                     "getdents64", "statx", "seccomp", "landlock_restrict_self"] {
            #expect(!policy.rules(for: name).contains { $0.action == .allow }, "\(name) must not be allowed")
        }
        #expect(policy.rules(for: "mmap").map(\.conditions) == [[ArgumentCondition(argument: 2, name: "prot", .maskedEqual,
            .constant(0), mask: 4, text: "prot & PROT_EXEC == 0")]])
        #expect(policy.rules(for: "mprotect").allSatisfy { $0.conditions.first?.mask == LinuxConstants.PROT_EXEC })
        let clone = policy.rules(for: "clone")
        #expect(clone.count == 1 && clone[0].action == .killProcess && clone[0].conditions.first?.mask == LinuxConstants.threadCloneMask)
        let writes = policy.rules(for: "write")
        #expect(writes.count == 3)
        #expect(writes.allSatisfy { $0.action == .allow && $0.conditions.count == 1 })
        #expect(Set(writes.map { $0.conditions[0].value }) == [.constant(1), .constant(2), .constant(8)])
        #expect(policy.rules(for: "prctl").allSatisfy { [LinuxConstants.PR_SET_NAME, LinuxConstants.PR_GET_NAME].contains($0.conditions[0].value.resolved(processID: 0)) })
        #expect(policy.rules(for: "kill").first?.conditions.first?.value == .ownProcessID)
        #expect(policy.rules(for: "tgkill").first?.conditions.first?.value == .ownProcessID)
    }

    @Test("the runtime's needs are allowed in both stages")
    func runtimeNeeds() {
        for policy in SeccompPolicy.stages(for: .none) {
            for name in ["epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd2", "timerfd_create",
                         "timerfd_settime", "rt_sigaction", "madvise", "getrandom", "futex", "exit_group"] {
                #expect(policy.unconditionalAction(for: name) == .allow, "\(policy.stage): \(name)")
            }
            for name in ["ioctl", "prctl", "setpriority"] {
                #expect(policy.rules(for: name).contains { $0.action == .allow && !$0.conditions.isEmpty }, "\(name)")
            }
        }
    }

    @Test("network allows only AF_INET/AF_INET6 stream and datagram sockets")
    func network() {
        let policy = SeccompPolicy(stage: .strict, permissions: PluginPermissions([.network]))
        let sockets = policy.rules(for: "socket")
        #expect(sockets.count == 4)
        #expect(sockets.allSatisfy { $0.action == .allow && $0.conditions.count == 2 })
        let domains = Set(sockets.map { $0.conditions[0].value })
        #expect(domains == [.constant(LinuxConstants.AF_INET), .constant(LinuxConstants.AF_INET6)])
        let types = Set(sockets.map { $0.conditions[1].value })
        #expect(types == [.constant(LinuxConstants.SOCK_STREAM), .constant(LinuxConstants.SOCK_DGRAM)])
        for name in ["connect", "bind", "listen", "accept4", "sendto", "recvfrom", "write"] {
            #expect(policy.unconditionalAction(for: name) == .allow, "\(name)")
        }
        #expect(policy.unconditionalAction(for: "socketpair") == .errno(EPERM))
        #expect(SeccompPolicy(stage: .strict, permissions: .none).unconditionalAction(for: "connect") == .errno(EPERM))
    }

    @Test("read-paths allows read-only openat only")
    func readPaths() {
        let policy = SeccompPolicy(stage: .strict, permissions: PluginPermissions([.readPaths(["/data"])]))
        let opens = policy.rules(for: "openat")
        #expect(opens.count == 1)
        #expect(opens[0].action == .allow)
        #expect(opens[0].conditions == [ArgumentCondition(argument: 2, name: "flags", .maskedEqual, .constant(0),
                                                          mask: LinuxConstants.openWriteMask, text: opens[0].conditions[0].text)])
        // O_DIRECTORY (opendir) must pass the mask; O_TMPFILE's own bit must not.
        #expect(UInt64(O_DIRECTORY) & LinuxConstants.openWriteMask == 0)
        #expect(UInt64(O_RDONLY | O_CLOEXEC | O_NOFOLLOW) & LinuxConstants.openWriteMask == 0)
        for flags in [O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, Int32(LinuxConstants.O_TMPFILE_BIT) | O_DIRECTORY] {
            #expect(UInt64(flags) & LinuxConstants.openWriteMask != 0, "flags \(flags)")
        }
        #expect(policy.unconditionalAction(for: "getdents64") == .allow)
    }

    @Test("write-paths allows writing opens (never O_TMPFILE), writes, mkdir, rename, unlink, fsync, ftruncate in both stages")
    func writePaths() {
        let writes = PluginPermissions(writePaths: ["/out"])
        for policy in SeccompPolicy.stages(for: writes) {
            for name in ["write", "writev", "pwrite64", "fsync", "fdatasync", "ftruncate", "mkdir", "mkdirat", "rename",
                         "renameat", "renameat2", "unlink", "unlinkat", "rmdir", "creat", "statx", "getdents64"] {
                #expect(policy.unconditionalAction(for: name) == .allow, "\(policy.stage): \(name)")
            }
            let tmpfile = ArgumentCondition(argument: 2, name: "flags", .maskedEqual, .constant(0),
                                            mask: LinuxConstants.O_TMPFILE_BIT, text: "flags & __O_TMPFILE == 0")
            #expect(policy.rules(for: "openat").contains { $0.action == .allow && $0.conditions == [tmpfile] }, "\(policy.stage)")
            #expect(policy.rules(for: "openat").allSatisfy { !$0.conditions.isEmpty }, "openat is never unconditional")
            #expect(policy.rules(for: "open").contains { $0.action == .allow && $0.conditions.first?.argument == 1
                && $0.conditions.first?.mask == LinuxConstants.O_TMPFILE_BIT })
            #expect(policy.unconditionalAction(for: "openat2") == .errno(ENOSYS))
            for name in ["fchmod", "fchmodat", "fchown", "chmod", "link", "linkat", "symlink", "symlinkat", "mknod",
                         "mknodat", "truncate", "utimensat", "socket", "execve"] {
                #expect(policy.unconditionalAction(for: name) == .errno(EPERM), "\(policy.stage): \(name)")
            }
            let landlock = policy.unconditionalAction(for: "landlock_restrict_self")
            #expect(landlock == (policy.stage == .loader ? .allow : .errno(EPERM)))
        }
        // O_WRONLY|O_CREAT|O_TRUNC|O_APPEND pass the O_TMPFILE test; O_TMPFILE does not.
        #expect(UInt64(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_DIRECTORY) & LinuxConstants.O_TMPFILE_BIT == 0)
        #expect((LinuxConstants.O_TMPFILE_BIT | UInt64(O_DIRECTORY)) & LinuxConstants.O_TMPFILE_BIT != 0 && LinuxConstants.O_TMPFILE_BIT == 0o20000000)
        // Without write-paths nothing of this is allowed (read-paths stays read-only).
        for permissions in [PluginPermissions.none, PluginPermissions(readPaths: ["/data"])] {
            let strict = SeccompPolicy(stage: .strict, permissions: permissions)
            for name in ["mkdir", "mkdirat", "rename", "renameat2", "unlinkat", "fsync", "ftruncate", "pwrite64", "creat"] {
                #expect(strict.unconditionalAction(for: name) == .errno(EPERM), "\(permissions): \(name)")
            }
            #expect(strict.rules(for: "openat").allSatisfy { $0.action != .allow || $0.conditions.first?.mask == LinuxConstants.openWriteMask })
        }
    }

    @Test("threads allows clone of threads only; exec-memory allows PROT_EXEC")
    func threadsAndExecMemory() {
        let threads = SeccompPolicy(stage: .strict, permissions: PluginPermissions([.threads]))
        let clone = threads.rules(for: "clone")
        #expect(clone.count == 1 && clone[0].action == .allow)
        #expect(clone[0].conditions[0].value == .constant(LinuxConstants.threadCloneFlags))
        // glibc's pthread_create flags pass; fork's (SIGCHLD) and namespace flags do not.
        let pthreadFlags: UInt64 = 0x3d0f00
        #expect(pthreadFlags & LinuxConstants.threadCloneMask == LinuxConstants.threadCloneFlags)
        #expect(UInt64(SIGCHLD) & LinuxConstants.threadCloneMask != LinuxConstants.threadCloneFlags)
        #expect((pthreadFlags | LinuxConstants.CLONE_NEWUSER) & LinuxConstants.threadCloneMask != LinuxConstants.threadCloneFlags)

        let exec = SeccompPolicy(stage: .strict, permissions: PluginPermissions([.execMemory]))
        #expect(exec.unconditionalAction(for: "mmap") == .allow)
        #expect(exec.unconditionalAction(for: "mprotect") == .allow)
        #expect(exec.unconditionalAction(for: "memfd_create") == .allow)
    }

    @Test("the loader stage allows loading: read-only opens and executable mappings")
    func loaderStage() {
        let policy = SeccompPolicy(stage: .loader, permissions: .none)
        #expect(policy.rules(for: "openat").map(\.action) == [.allow])
        #expect(policy.rules(for: "openat")[0].conditions[0].mask == LinuxConstants.openWriteMask)
        for name in ["mmap", "mprotect", "newfstatat", "read", "pread64", "close", "lseek", "readlink"] {
            #expect(policy.unconditionalAction(for: name) == .allow, "\(name)")
        }
        #expect(policy.rules(for: "seccomp").first?.conditions.first?.value == .constant(LinuxConstants.SECCOMP_SET_MODE_FILTER))
        #expect(SeccompPolicy(stage: .strict, permissions: .none).unconditionalAction(for: "seccomp") == .errno(EPERM))
    }

    @Test("everything the strict stage allows, the loader stage allows too (filters stack)")
    func strictIsSubsetOfLoader() {
        for permissions in allPermissionSets {
            let loader = SeccompPolicy(stage: .loader, permissions: permissions)
            let strict = SeccompPolicy(stage: .strict, permissions: permissions)
            for rule in strict.rules where rule.action == .allow {
                let covering = loader.rules(for: rule.syscall).filter { $0.action == .allow }
                #expect(covering.contains { $0.conditions.isEmpty || $0.conditions == rule.conditions },
                        "\(permissions): strict allows \(rule) but the loader does not")
            }
            for rule in strict.rules where rule.action == .killProcess {
                #expect(loader.rules.contains(rule), "\(permissions): the loader kills \(rule.syscall) too")
            }
        }
    }

    @Test("rules are consistent: known names, reasons, no mixed unconditional rules")
    func consistency() {
        for policy in allPermissionSets.flatMap(SeccompPolicy.stages(for:)) {
            for rule in policy.rules {
                #expect(SeccompPolicy.syscallNumber(rule.syscall) != nil, "libseccomp knows \(rule.syscall)")
                #expect(!rule.reason.isEmpty)
                #expect(rule.conditions.allSatisfy { (0...5).contains($0.argument) })
                let group = policy.rules(for: rule.syscall)
                if rule.conditions.isEmpty { #expect(group.count == 1, "\(rule.syscall) has one unconditional rule") }
            }
            #expect(Set(policy.rules).count == policy.rules.count)
        }
    }

    @Test("the hand-written constants match the C headers")
    func constants() {
        #expect(LinuxConstants.O_CREAT == UInt64(O_CREAT))
        #expect(LinuxConstants.O_TRUNC == UInt64(O_TRUNC))
        #expect(LinuxConstants.O_APPEND == UInt64(O_APPEND))
        #expect(LinuxConstants.O_ACCMODE == UInt64(O_ACCMODE))
        #expect(LinuxConstants.PROT_EXEC == UInt64(PROT_EXEC))
        #expect(LinuxConstants.AF_INET == UInt64(AF_INET))
        #expect(LinuxConstants.AF_INET6 == UInt64(AF_INET6))
        #expect(LinuxConstants.SOCK_STREAM == UInt64(SOCK_STREAM.rawValue))
        #expect(LinuxConstants.SOCK_DGRAM == UInt64(SOCK_DGRAM.rawValue))
        #expect(LinuxConstants.EPERM == EPERM && LinuxConstants.ENOSYS == ENOSYS && LinuxConstants.EACCES == EACCES)
        #expect(LinuxConstants.errnoName(EMFILE) == "EMFILE")
        #expect(SeccompAction("errno(EPERM)") == .errno(EPERM))
        #expect(SeccompAction("kill-process") == .killProcess)
        #expect(SeccompAction("bogus") == nil)
    }
}
