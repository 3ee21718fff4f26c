"""The sandbox of deploy/systemd/vpp-gateway.service, applied to a process without systemd.

systemd is not PID 1 in CI containers, so the unit cannot be started there. This module reads
the unit's settings and applies the ones that could break the gateway the way systemd does,
with the kernel's own mechanisms, to a forked child before it executes a program:

- SystemCallFilter= / SystemCallArchitectures=native: a seccomp allow list built from
  `systemd-analyze syscall-filter` (so the groups are the installed systemd's), minus the
  `~` entries; anything else kills the process (stricter than SystemCallErrorNumber=EPERM:
  every attempt shows).
- MemoryDenyWriteExecute=yes: systemd's seccomp rules (mmap W+X, mprotect/pkey_mprotect +X,
  shmat SHM_EXEC fail with EPERM).
- RestrictAddressFamilies=: socket() of any other family fails with EAFNOSUPPORT.
- RestrictNamespaces=yes: unshare/clone with namespace flags and setns fail with EPERM,
  clone3 with ENOSYS (glibc then falls back to clone).
- ProtectSystem=strict, PrivateTmp=yes, ProtectHome=yes, ProtectProc=invisible and
  ProcSubset=pid, in a private mount namespace: every existing mount read-only, fresh tmpfs on
  /tmp and /var/tmp, empty read-only tmpfs over /home, /root and /run/user, and /proc
  remounted with hidepid=invisible,subset=pid.
- User=/SupplementaryGroups=/CapabilityBoundingSet=/NoNewPrivileges=: an unprivileged uid with
  the given supplementary gid, an empty bounding set, no_new_privs.

Needs root (to build the sandbox), Linux and libseccomp (libseccomp.so.2, through ctypes).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# --- the unit file -------------------------------------------------------------------------


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections → key → values in order (systemd keys may repeat; an empty value resets)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = path.read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            raise ValueError(f"{path}: unexpected line {raw!r}")
        key, value = (part.strip() for part in line.split("=", 1))
        current.setdefault(key, []).append(value)
    return sections


def effective(values: list[str]) -> list[str]:
    """The list a list-valued setting ends with: words appended, an empty assignment resets."""
    out: list[str] = []
    for v in values:
        if v == "":
            out = []
        else:
            out.append(v)
    return out


# --- seccomp through libseccomp ------------------------------------------------------------

SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_ALLOW = 0x7FFF0000


def scmp_act_errno(e: int) -> int:
    return 0x00050000 | (e & 0x0000FFFF)


SCMP_CMP_EQ = 4
SCMP_CMP_GE = 5
SCMP_CMP_MASKED_EQ = 7


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def load_libseccomp() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    return lib


def syscall_group(name: str, _cache: dict[str, set[str]] = {}) -> set[str]:
    """`@group` (recursively) or a single system call name, per `systemd-analyze syscall-filter`."""
    if not name.startswith("@"):
        return {name}
    if name not in _cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                             capture_output=True, text=True).stdout
        members: set[str] = set()
        for line in out.splitlines()[1:]:
            word = line.strip()
            if not word or word.startswith("#"):
                continue
            members |= syscall_group(word)
        _cache[name] = members
    return _cache[name]


def syscall_allow_list(filters: list[str]) -> set[str]:
    """systemd's SystemCallFilter= semantics for an allow list followed by `~` deny entries."""
    allowed: set[str] | None = None
    for entry in filters:
        deny = entry.startswith("~")
        names: set[str] = set()
        for word in entry.lstrip("~").split():
            names |= syscall_group(word)
        if allowed is None:
            if deny:
                raise ValueError("the harness handles allow lists only (the first SystemCallFilter= without ~)")
            allowed = names
        elif deny:
            allowed -= names
        else:
            allowed |= names
    return allowed or set()


PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
CLONE_NS_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                  0x40000000, 0x00000080]  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
ADDRESS_FAMILIES = {"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16, "AF_PACKET": 17}
AF_MAX = 64


@dataclass
class Sandbox:
    """What the unit asks for, ready to apply in a forked child."""
    syscalls: set[str] | None = None
    memory_deny_write_execute: bool = False
    address_families: set[int] | None = None
    restrict_namespaces: bool = False
    protect_system_strict: bool = False
    private_tmp: bool = False
    protect_home: bool = False
    proc_invisible: bool = False
    proc_subset_pid: bool = False
    empty_bounding_set: bool = False
    no_new_privileges: bool = False
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_unit(cls, unit: Path) -> "Sandbox":
        service = parse_unit(unit)["Service"]

        def last(key: str) -> str | None:
            values = service.get(key)
            return values[-1] if values else None

        def yes(key: str) -> bool:
            return (last(key) or "").lower() in ("yes", "true", "on", "1")

        sb = cls()
        if service.get("SystemCallFilter"):
            sb.syscalls = syscall_allow_list(effective(service["SystemCallFilter"]))
        sb.memory_deny_write_execute = yes("MemoryDenyWriteExecute")
        families = effective(service.get("RestrictAddressFamilies", []))
        if families:
            words = " ".join(families).split()
            if words[0].startswith("~"):
                raise ValueError("the harness handles allow lists of address families only")
            sb.address_families = {ADDRESS_FAMILIES[w] for w in words}
        sb.restrict_namespaces = yes("RestrictNamespaces")
        sb.protect_system_strict = last("ProtectSystem") == "strict"
        sb.private_tmp = yes("PrivateTmp")
        sb.protect_home = yes("ProtectHome")
        sb.proc_invisible = last("ProtectProc") == "invisible"
        sb.proc_subset_pid = last("ProcSubset") == "pid"
        sb.empty_bounding_set = "CapabilityBoundingSet" in service and effective(service["CapabilityBoundingSet"]) == []
        sb.no_new_privileges = yes("NoNewPrivileges")
        return sb

    # --- in the child, after fork, before exec ----------------------------------------------

    def apply(self, libc: ctypes.CDLL, seccomp: ctypes.CDLL, uid: int, gid: int, groups: list[int],
              keep_visible: list[str]) -> None:
        """Builds the sandbox around this process. `keep_visible`: files that stay reachable at
        their paths when PrivateTmp= or ProtectHome= hides the folders they are in."""
        cap_last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
        self._mounts(libc, keep_visible)
        if self.empty_bounding_set:
            for cap in range(cap_last + 1):
                check(libc.prctl(24, cap, 0, 0, 0), "PR_CAPBSET_DROP")  # PR_CAPBSET_DROP
        os.setgroups(groups)
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if self.no_new_privileges or self.syscalls is not None:
            check(libc.prctl(38, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS")
        for build in (self._memory_filter, self._family_filter, self._namespace_filter, self._syscall_filter):
            ctx = build(seccomp)
            if ctx:
                rc = seccomp.seccomp_load(ctx)
                if rc != 0:
                    raise OSError(-rc, f"seccomp_load: {os.strerror(-rc)}")
                seccomp.seccomp_release(ctx)

    def _mounts(self, libc: ctypes.CDLL, keep_visible: list[str]) -> None:
        MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
        MS_REMOUNT, MS_BIND, MS_REC, MS_SLAVE = 32, 4096, 16384, 1 << 19
        MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

        def mount(src, target, fstype, flags, data=None):
            enc = lambda s: s.encode() if isinstance(s, str) else s
            check(libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")

        check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
        mount(None, "/", None, MS_REC | MS_SLAVE)
        if self.protect_system_strict:
            # Every mount read-only except the API file systems (systemd protects those with the
            # ProtectKernel*/PrivateDevices options instead). Per-mount flags must be kept.
            for line in Path("/proc/self/mountinfo").read_text().splitlines():
                fields = line.split()
                point = fields[4].encode().decode("unicode_escape")
                if re.match(r"^/(proc|sys|dev)(/|$)", point):
                    continue
                opts = fields[5].split(",")
                flags = MS_REMOUNT | MS_BIND | MS_RDONLY
                for name, bit in (("nosuid", MS_NOSUID), ("nodev", MS_NODEV), ("noexec", MS_NOEXEC),
                                  ("noatime", MS_NOATIME), ("nodiratime", MS_NODIRATIME),
                                  ("relatime", MS_RELATIME), ("strictatime", MS_STRICTATIME)):
                    if name in opts:
                        flags |= bit
                try:
                    mount(None, point, None, flags)
                except OSError as e:
                    if e.errno not in (errno.ENOENT, errno.EACCES, errno.EINVAL):
                        raise
        # Folders the sandbox replaces with empty ones; the program under test (and a
        # toolchain's libraries) may live in one: those files stay at their paths, bind-mounted
        # back from a handle taken before they were hidden.
        private = [d for d in ("/tmp", "/var/tmp") if self.private_tmp and os.path.isdir(d)]
        homes = [d for d in ("/home", "/root", "/run/user") if self.protect_home and os.path.isdir(d)]
        keep = {}
        for path in sorted({os.path.realpath(p) for p in keep_visible}):
            if any(path.startswith(d + "/") for d in private + homes):
                keep[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
        for d in private:
            mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        for d in homes:
            mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755")
        for path, fd in keep.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            Path(path).touch()
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND)
            os.close(fd)
        for d in homes:
            mount(None, d, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if self.proc_invisible or self.proc_subset_pid:
            options = ",".join(o for o, on in (("hidepid=invisible", self.proc_invisible),
                                                ("subset=pid", self.proc_subset_pid)) if on)
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, options)

    def _syscall_filter(self, seccomp):
        if self.syscalls is None:
            return None
        ctx = seccomp.seccomp_init(SCMP_ACT_KILL_PROCESS)
        for name in sorted(self.syscalls):
            nr = seccomp.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                continue  # not a system call of this architecture
            check_rc(seccomp.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None), name)
        return ctx

    def _memory_filter(self, seccomp):
        if not self.memory_deny_write_execute:
            return None
        ctx = seccomp.seccomp_init(SCMP_ACT_ALLOW)
        eperm = scmp_act_errno(errno.EPERM)
        rules = [("mmap", 2, PROT_WRITE | PROT_EXEC), ("mmap2", 2, PROT_WRITE | PROT_EXEC),
                 ("mprotect", 2, PROT_EXEC), ("pkey_mprotect", 2, PROT_EXEC), ("shmat", 2, SHM_EXEC)]
        for name, arg, mask in rules:
            nr = seccomp.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                continue
            cmp = (ArgCmp * 1)(ArgCmp(arg, SCMP_CMP_MASKED_EQ, mask, mask))
            rc = seccomp.seccomp_rule_add_array(ctx, eperm, nr, 1, cmp)
            if rc != 0 and rc != -errno.EOPNOTSUPP:  # e.g. a multiplexed syscall on this architecture
                check_rc(rc, name)
        return ctx

    def _family_filter(self, seccomp):
        if self.address_families is None:
            return None
        ctx = seccomp.seccomp_init(SCMP_ACT_ALLOW)
        nr = seccomp.seccomp_syscall_resolve_name(b"socket")
        refuse = scmp_act_errno(errno.EAFNOSUPPORT)
        for family in range(AF_MAX):
            if family not in self.address_families:
                cmp = (ArgCmp * 1)(ArgCmp(0, SCMP_CMP_EQ, family, 0))
                check_rc(seccomp.seccomp_rule_add_array(ctx, refuse, nr, 1, cmp), "socket")
        cmp = (ArgCmp * 1)(ArgCmp(0, SCMP_CMP_GE, AF_MAX, 0))
        check_rc(seccomp.seccomp_rule_add_array(ctx, refuse, nr, 1, cmp), "socket")
        return ctx

    def _namespace_filter(self, seccomp):
        if not self.restrict_namespaces:
            return None
        ctx = seccomp.seccomp_init(SCMP_ACT_ALLOW)
        eperm = scmp_act_errno(errno.EPERM)
        for name in ("unshare", "clone"):
            nr = seccomp.seccomp_syscall_resolve_name(name.encode())
            for flag in CLONE_NS_FLAGS:
                cmp = (ArgCmp * 1)(ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag))
                check_rc(seccomp.seccomp_rule_add_array(ctx, eperm, nr, 1, cmp), name)
        check_rc(seccomp.seccomp_rule_add_array(ctx, eperm, seccomp.seccomp_syscall_resolve_name(b"setns"), 0, None), "setns")
        clone3 = seccomp.seccomp_syscall_resolve_name(b"clone3")
        if clone3 >= 0:
            check_rc(seccomp.seccomp_rule_add_array(ctx, scmp_act_errno(errno.ENOSYS), clone3, 0, None), "clone3")
        return ctx


def needed_files(program: str) -> list[str]:
    """The program and the shared libraries it loads (per ldd), for `keep_visible`."""
    files = [os.path.realpath(program)]
    out = subprocess.run(["ldd", program], capture_output=True, text=True).stdout
    files += [m.group(1) for m in re.finditer(r"=> (/\S+)", out)]
    return files


def check(rc: int, what: str) -> None:
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def check_rc(rc: int, what: str) -> None:
    if rc != 0:
        raise OSError(-rc, f"seccomp rule for {what}: {os.strerror(-rc)}")


def spawn(sandbox: Sandbox, argv: list[str], env: dict[str, str], uid: int, gid: int, groups: list[int],
          stdout, stderr=subprocess.STDOUT) -> int:
    """Forks a child that builds the sandbox and executes argv[0]. Returns its pid;
    a failure to build the sandbox exits the child with status 125 and its reason on stderr."""
    libc = ctypes.CDLL(None, use_errno=True)
    seccomp = load_libseccomp()
    keep = needed_files(argv[0])
    out_fd = stdout.fileno()
    err_fd = out_fd if stderr == subprocess.STDOUT else stderr.fileno()
    pid = os.fork()
    if pid:
        return pid
    try:
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.setsid()
        sandbox.apply(libc, seccomp, uid, gid, groups, keep_visible=keep)
        os.chdir("/")
        os.execve(argv[0], argv, env)
    except BaseException as e:  # noqa: BLE001 - report anything, then leave without cleanup
        os.write(2, f"sandbox: {e!r}\n".encode())
    os._exit(125)
