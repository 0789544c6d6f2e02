/**
 * The TypeScript view of sensor/include/wire.h (frames) and map_types.h (the shared maps' keys and
 * values): each struct's fields in declaration order. Offsets are computed with C's natural
 * alignment, and test/wire.test.ts compiles every offset and size below against the real
 * headers, so a change on one side without the other fails the build.
 */

export type FieldType = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64' | `bytes${number}` | `struct:${string}`;

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly fields: Readonly<Record<string, Field>>;
}

const scalarSize: Record<string, number> = { u8: 1, u16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };
const registry = new Map<string, StructLayout & { align: number }>();

function sizeAlign(type: FieldType): [number, number] {
  if (type.startsWith('bytes')) return [Number(type.slice(5)), 1];
  if (type.startsWith('struct:')) {
    const s = registry.get(type.slice(7));
    if (!s) throw new Error(`unknown struct ${type}`);
    return [s.size, s.align];
  }
  const n = scalarSize[type];
  if (n === undefined) throw new Error(`unknown type ${type}`);
  return [n, n];
}

function defineStruct(name: string, decl: ReadonlyArray<readonly [string, FieldType]>): StructLayout {
  let offset = 0;
  let align = 1;
  const fields: Record<string, Field> = {};
  for (const [fname, type] of decl) {
    const [size, a] = sizeAlign(type);
    offset = Math.ceil(offset / a) * a;
    fields[fname] = { name: fname, type, offset, size };
    offset += size;
    align = Math.max(align, a);
  }
  const layout = { name, size: Math.ceil(offset / align) * align, fields, align };
  registry.set(name, layout);
  return layout;
}

export const WIRE_VERSION = 3;
export const FRAME_MAX = 16384;
/** The rule number of a gate refusal made because the decision deadline had passed. */
export const GATE_RULE_DEADLINE = 0xfffffffe;

export const Header = defineStruct('wd_header', [
  ['version', 'u16'],
  ['type', 'u16'],
  ['size', 'u32'],
  ['time_ns', 'u64'],
]);

export const Task = defineStruct('wd_task', [
  ['pid', 'u32'],
  ['tid', 'u32'],
  ['ppid', 'u32'],
  ['uid', 'u32'],
  ['gid', 'u32'],
  ['session', 'u32'],
  ['cgroup_id', 'u64'],
  ['start_ns', 'u64'],
  ['comm', 'bytes16'],
]);

const event = (name: string, decl: ReadonlyArray<readonly [string, FieldType]>): StructLayout =>
  defineStruct(name, [['hdr', 'struct:wd_header'], ['task', 'struct:wd_task'], ...decl]);

export const Exec = event('wd_exec', [
  ['old_pid', 'u32'],
  ['argv_len', 'u16'],
  ['exe_len', 'u16'],
  ['cwd_len', 'u16'],
  ['truncated', 'u16'],
  ['argc', 'u32'],
]);

export const Fork = event('wd_fork', [
  ['child_pid', 'u32'],
  ['pad', 'u32'],
  ['child_start_ns', 'u64'],
]);

export const Exit = event('wd_exit', [
  ['exit_code', 's32'],
  ['pad', 'u32'],
]);

export const File = event('wd_file', [
  ['result', 's64'],
  ['length', 'u64'],
  ['flags', 'u32'],
  ['mode', 'u32'],
  ['str1_len', 'u16'],
  ['walk1_len', 'u16'],
  ['str2_len', 'u16'],
  ['walk2_len', 'u16'],
  ['flags_ex', 'u32'],
  ['syscall', 'u32'],
]);

export const Net = event('wd_net', [
  ['result', 's64'],
  ['bytes', 'u64'],
  ['fd', 's32'],
  ['family', 'u16'],
  ['sock_type', 'u16'],
  ['protocol', 'u16'],
  ['dport', 'u16'],
  ['lport', 'u16'],
  ['pad', 'u16'],
  ['daddr', 'bytes16'],
  ['laddr', 'bytes16'],
  ['backlog', 'u32'],
  ['syscall', 'u32'],
  ['unix_path', 'bytes108'],
  ['pad2', 'u32'],
]);

export const Signal = event('wd_signal', [
  ['result', 's64'],
  ['target', 's32'],
  ['arg', 'u32'],
  ['syscall', 'u32'],
  ['pad', 'u32'],
]);

export const Cred = event('wd_cred', [
  ['result', 's64'],
  ['syscall', 'u32'],
  ['ids', 'bytes12'],
  ['cap_effective', 'u64'],
  ['cap_permitted', 'u64'],
  ['cap_inheritable', 'u64'],
]);

const message = (name: string, decl: ReadonlyArray<readonly [string, FieldType]>): StructLayout =>
  defineStruct(name, [['hdr', 'struct:wd_header'], ...decl]);

export const Ready = message('wd_ready', [
  ['boot_ns', 'u64'],
  ['realtime_ns', 'u64'],
  ['programs', 'u32'],
  ['ringbuf_bytes', 'u32'],
  ['session_level', 'u32'],
  ['lsm', 'u32'],
  ['unix_hooks', 'u32'],
  ['pad', 'u32'],
]);

export const Ack = message('wd_ack', [
  ['cmd_type', 'u32'],
  ['status', 's32'],
  ['cmd_id', 'u64'],
]);

export const Stats = message('wd_stats', [
  ['events', 'u64'],
  ['drops', 'u64'],
  ['truncations', 'u64'],
  ['read_errors', 'u64'],
  ['frames_out', 'u64'],
  ['gate_answered', 'u64'],
  ['gate_outsiders', 'u64'],
  ['gate_denied', 'u64'],
  ['gate_late_denied', 'u64'],
  ['gate_late_outsiders', 'u64'],
  ['gate_max_wait_ns', 'u64'],
  ['gate_max_outsider_ns', 'u64'],
  ['gate_queue_drops', 'u64'],
  ['gate_deadline_ms', 'u32'],
  ['gate_realtime', 'u32'],
]);

export const Cmd = message('wd_cmd', [
  ['cmd_id', 'u64'],
  ['cgroup_id', 'u64'],
  ['session', 'u32'],
  ['pad', 'u32'],
]);

export const CmdMap = message('wd_cmd_map', [
  ['cmd_id', 'u64'],
  ['map', 'u32'],
  ['op', 'u32'],
  ['key', 'bytes128'],
  ['value', 'bytes128'],
]);

export const CmdAttach = message('wd_cmd_attach', [
  ['cmd_id', 'u64'],
  ['session', 'u32'],
  ['pad', 'u32'],
  ['cgroup', 'bytes512'],
  ['pin_dir', 'bytes512'],
]);

export const NetKey = defineStruct('wd_net_key', [
  ['prefixlen', 'u32'],
  ['session', 'u32'],
  ['family', 'u32'],
  ['addr', 'bytes16'],
]);

export const NET_ENTRIES = 8;
export const NetEntry = defineStruct('wd_net_entry', [
  ['rule', 'u32'],
  ['port', 'u16'],
  ['deny', 'u8'],
  ['pad', 'u8'],
]);

export const NetVal = defineStruct('wd_net_val', [
  ['n', 'u32'],
  ['pad', 'u32'],
  ['e', `bytes${NET_ENTRIES * 8}`],
]);

export const NetCfg = defineStruct('wd_net_cfg', [
  ['enforce', 'u8'],
  ['default_allow', 'u8'],
  ['dns_port', 'u16'],
  ['on_violation', 'u8'],
  ['unix_limit', 'u8'],
  ['local_only', 'u8'],
  ['pad', 'u8'],
]);

export const CmdGate = message('wd_cmd_gate', [
  ['cmd_id', 'u64'],
  ['session', 'u32'],
  ['access', 'u32'],
  ['rule', 'u32'],
  ['depth', 'u32'],
  ['path', 'bytes1024'],
  ['base', 'bytes1024'],
]);

export const GateDecision = message('wd_gate_decision', [
  ['session', 'u32'],
  ['tid', 'u32'],
  ['access', 'u32'],
  ['rule', 'u32'],
  ['allowed', 'u32'],
  ['latency_ns', 'u32'],
  ['path', 'bytes256'],
]);

/** WD_GATE_* */
export const Gate = { READ: 0x1, WRITE: 0x2, EXEC: 0x4, GLOB: 0x100, EXCEPT: 0x200 } as const;

/** enum wd_map_id */
export const MapId = { NET_RULES: 1, NET_CFG: 2, PROTECTED_PIDS: 3, LSM_FILES: 4, UNIX_ALLOW: 5 } as const;

export const UnixKey = defineStruct('wd_unix_key', [
  ['id', 'u64'],
  ['path', 'bytes108'],
  ['pad', 'u32'],
]);
export const UNIX_EXACT = 1;
export const UNIX_SUBTREE = 2;

export const LsmFileKey = defineStruct('wd_lsm_file_key', [
  ['ino', 'u64'],
  ['dev', 'u32'],
  ['session', 'u32'],
]);

export const LsmFileVal = defineStruct('wd_lsm_file_val', [
  ['access', 'u32'],
  ['rule', 'u32'],
]);

/** Every struct the wire carries, for the layout test. */
export const ALL_STRUCTS: readonly StructLayout[] = [
  UnixKey,
  LsmFileKey,
  LsmFileVal,
  CmdGate,
  GateDecision,
  CmdMap,
  CmdAttach,
  NetKey,
  NetEntry,
  NetVal,
  NetCfg,
  Header,
  Task,
  Exec,
  Fork,
  Exit,
  File,
  Net,
  Signal,
  Cred,
  Ready,
  Ack,
  Stats,
  Cmd,
];

/** enum wd_frame_type */
export const FrameType = {
  EXEC: 1,
  FORK: 2,
  EXIT: 3,
  OPEN: 4,
  UNLINK: 5,
  RENAME: 6,
  MKDIR: 7,
  CHMOD: 8,
  TRUNCATE: 9,
  CONNECT: 10,
  SEND: 11,
  BIND: 12,
  LISTEN: 13,
  ACCEPT: 14,
  KILL: 15,
  PTRACE: 16,
  SETUID: 17,
  CAPSET: 18,
  EXEC_FAILED: 19,
  LINK: 20,
  SYMLINK: 21,
  MKNOD: 22,
  READY: 100,
  ACK: 101,
  STATS: 102,
  GATE: 103,
  CMD_TRACK: 200,
  CMD_UNTRACK: 201,
  CMD_STATS: 202,
  CMD_MAP_UPDATE: 203,
  CMD_NET_ATTACH: 204,
  CMD_NET_DETACH: 205,
  CMD_GATE_ADD: 206,
  CMD_GATE_CLEAR: 207,
} as const;

/** WD_F_* bits */
export const Flag = {
  TRUNC_STR: 0x1,
  TRUNC_PATH: 0x2,
  RESOLVED: 0x4,
  DIR: 0x8,
  TRUNC_ARGV: 0x10,
} as const;
