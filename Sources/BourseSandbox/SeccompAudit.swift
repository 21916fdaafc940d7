#if canImport(Glibc)
import Glibc
#endif
import CSeccomp

/// A kernel audit record of a seccomp action (`type=1326`), as printed in
/// the kernel log (`dmesg`, `journalctl -k`):
///
/// ```
/// audit: type=1326 audit(…): auid=… uid=0 gid=0 ses=… pid=29958 comm="bourse-worker" exe="…"
///     sig=31 arch=c000003e syscall=56 compat=0 ip=0x7fe04af71b42 code=0x80000000
/// ```
///
/// A worker killed by SIGSYS leaves only the signal in its wait status; the
/// kernel logs which system call did it (kill-process is in
/// `/proc/sys/kernel/seccomp/actions_logged` by default). The supervisor can
/// match `pid` to the dead worker and name the call for the user.
public struct SeccompAuditRecord: Hashable, Sendable, Codable {
    /// The process that made the call.
    public var processID: Int32
    /// The signal sent (31 = SIGSYS for kill-process; 0 for errno actions when logged).
    public var signal: Int32
    /// The audit architecture (`c000003e` = x86_64, `40000003` = i386).
    public var architecture: UInt32
    /// The system call number in that architecture (x32 calls have bit 30 set).
    public var syscallNumber: Int64
    /// The seccomp return value (`0x80000000` = kill-process).
    public var action: UInt32
    /// The call's name for x86_64 numbers libseccomp knows, else nil.
    public var syscallName: String?

    /// Parses one kernel log line; nil when it is not a seccomp audit record.
    public init?(line: String) {
        guard line.contains("type=1326") else { return nil }
        var fields: [Substring: Substring] = [:]
        for token in line.split(separator: " ") {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }),
              let architecture = fields["arch"].flatMap({ UInt32($0, radix: 16) }),
              let number = fields["syscall"].flatMap({ Int64($0) }) else { return nil }
        processID = pid
        signal = fields["sig"].flatMap { Int32($0) } ?? 0
        self.architecture = architecture
        syscallNumber = number
        action = fields["code"].flatMap { UInt32($0.hasPrefix("0x") ? $0.dropFirst(2) : $0, radix: 16) } ?? 0
        let isNative = architecture == 0xc000_003e && number >= 0 && number < 0x4000_0000
        syscallName = isNative ? SeccompPolicy.syscallName(Int32(number)) : nil
    }

    /// `keyctl (250)`, `syscall 20 of architecture 40000003`...
    public var callDescription: String {
        if let syscallName { return "\(syscallName) (\(syscallNumber))" }
        return "system call \(syscallNumber) of architecture \(String(architecture, radix: 16))"
    }
}

extension SeccompPolicy {
    /// The x86_64 name libseccomp knows for a system call number, or nil.
    public static func syscallName(_ number: Int32) -> String? {
        guard let name = seccomp_syscall_resolve_num_arch(0xC000_003E /* SCMP_ARCH_X86_64 */, number) else { return nil }
        defer { free(name) }
        return String(cString: name)
    }
}
