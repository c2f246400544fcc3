// /etc/passwd, /etc/group and /etc/shadow as adduser and base-passwd would have left them:
// root and nobody always, the declared users and groups, and the groups that package files
// are owned by (tty, shadow, ...) under the names the packages gave them. A declared user or
// group with the name and id of one already there (root, nobody, the base image's) redefines it.
import type { GroupSpec, UserSpec } from "../../define/spec.js";
import { CairnError, ErrorCode } from "../../errors.js";

export interface Accounts {
  passwd: string;
  group: string;
  shadow: string;
  /** Home directories to create, owned by their user. */
  homes: { path: string; uid: number; gid: number; mode: number }[];
}

/** The base image's /etc/passwd and /etc/group, whose entries come first and stay. */
export interface BaseAccounts {
  passwd?: string;
  group?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  fromBase?: boolean;
  declared?: UserSpec;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
  declared?: boolean;
}

/** The ids whose group a declared group may rename (root's 0, nogroup's 65534). */
const RENAMABLE_GIDS = new Set([0, 65534]);

const clashError = (what: string, name: string, other: string) =>
  new CairnError(
    ErrorCode.DEFINITION_INVALID,
    `The ${what} "${name}" clashes with ${other}.`,
    "Give each user and group a unique name and id. To change root or nobody (shell, home, group), declare them with their own ids: root uid 0, nobody uid 65534.",
  );

const idError = (what: "user" | "group", name: string, had: number, wanted: number, fromBase: boolean) =>
  new CairnError(
    ErrorCode.DEFINITION_INVALID,
    `The ${what} "${name}" has ${what === "user" ? "uid" : "gid"} ${had} ${fromBase ? "in the base image" : "in every image"}; the definition gives it ${wanted}.`,
    `To redefine "${name}" keep its id ${had} and change the other fields; for an account of your own, pick another name.`,
  );

export function makeAccounts(users: UserSpec[], groups: GroupSpec[], fileGroups: Map<number, string>, base?: BaseAccounts): Accounts {
  const passwd: PasswdEntry[] = [];
  const group: GroupEntry[] = [];
  for (const line of (base?.passwd ?? "").split("\n")) {
    const [name, , uid, gid, gecos, home, shell] = line.split(":");
    if (name && uid !== undefined && gid !== undefined) passwd.push({ name, uid: Number(uid), gid: Number(gid), gecos: gecos ?? "", home: home ?? "/", shell: shell ?? "", fromBase: true });
  }
  const groupsFromBase = new Set<string>();
  for (const line of (base?.group ?? "").split("\n")) {
    const [name, , gid, members] = line.split(":");
    if (name && gid !== undefined) (group.push({ name, gid: Number(gid), members: (members ?? "").split(",").filter(Boolean) }), groupsFromBase.add(name));
  }
  if (!passwd.some((p) => p.name === "root")) passwd.unshift({ name: "root", uid: 0, gid: 0, gecos: "root", home: "/root", shell: "/bin/sh" });
  if (!passwd.some((p) => p.name === "nobody")) passwd.push({ name: "nobody", uid: 65534, gid: 65534, gecos: "nobody", home: "/nonexistent", shell: "/usr/sbin/nologin" });
  if (!group.some((g) => g.name === "root")) group.unshift({ name: "root", gid: 0, members: [] });
  if (!group.some((g) => g.name === "nogroup")) group.push({ name: "nogroup", gid: 65534, members: [] });

  for (const g of groups) {
    const members = g.members && [...g.members].sort();
    const same = group.find((x) => x.name === g.name);
    if (same && !same.declared) {
      if (same.gid !== g.gid) throw idError("group", g.name, same.gid, g.gid, groupsFromBase.has(g.name));
      Object.assign(same, { declared: true, ...(members ? { members } : {}) });
      continue;
    }
    const clash = same ?? group.find((x) => x.gid === g.gid);
    if (clash && !clash.declared && RENAMABLE_GIDS.has(g.gid) && clash.gid === g.gid) {
      // root's and nogroup's group under another name (nogroup → "nobody", as Fedora calls it).
      Object.assign(clash, { name: g.name, declared: true, ...(members ? { members } : {}) });
      continue;
    }
    if (clash) throw clashError("group", g.name, `group "${clash.name}" (gid ${clash.gid})`);
    group.push({ name: g.name, gid: g.gid, members: members ?? [], declared: true });
  }
  for (const u of users) {
    const same = passwd.find((x) => x.name === u.name);
    if (same && !same.declared) {
      if (same.uid !== u.uid) throw idError("user", u.name, same.uid, u.uid, !!same.fromBase);
      // Redefined: what the declaration leaves out stays as it was.
      Object.assign(same, { gid: u.gid ?? same.gid, gecos: u.description ?? same.gecos, home: u.home ?? same.home, shell: u.shell ?? same.shell, declared: u });
      continue;
    }
    const clash = same ?? passwd.find((x) => x.uid === u.uid);
    if (clash) throw clashError("user", u.name, `user "${clash.name}" (uid ${clash.uid})`);
    let gid = u.gid;
    if (gid === undefined) {
      // Like `useradd -U`: a group of the user's own name, with the uid as gid.
      const own = group.find((x) => x.name === u.name);
      if (own) gid = own.gid;
      else {
        if (group.some((x) => x.gid === u.uid)) throw clashError("user group", u.name, `an existing group with gid ${u.uid}; set \`gid\``);
        group.push({ name: u.name, gid: u.uid, members: [] });
        gid = u.uid;
      }
    }
    passwd.push({ name: u.name, uid: u.uid, gid, gecos: u.description ?? "", home: u.home ?? "/nonexistent", shell: u.shell ?? "/usr/sbin/nologin", declared: u });
  }
  for (const [gid, name] of [...fileGroups].sort((a, b) => a[0] - b[0])) {
    if (!name || group.some((x) => x.gid === gid || x.name === name)) continue;
    group.push({ name, gid, members: [] });
  }

  return {
    passwd: passwd.map((p) => `${p.name}:x:${p.uid}:${p.gid}:${p.gecos}:${p.home}:${p.shell}\n`).join(""),
    group: group.map((g) => `${g.name}:x:${g.gid}:${g.members.join(",")}\n`).join(""),
    // Locked passwords: containers never log in with one. The last-change day stays empty (aging
    // off): 0 would mean "must change password now" and PAM (su, cron) would refuse the account.
    shadow: passwd.map((p) => `${p.name}:*::0:99999:7:::\n`).join(""),
    homes: homes(passwd),
  };
}

/**
 * The home directories to make: every account's but /nonexistent, except the base image's own
 * (already there) unless the definition redefined them. root's comes last, private by default.
 */
function homes(passwd: PasswdEntry[]): Accounts["homes"] {
  const wanted = (p: PasswdEntry) => {
    const path = p.home.replace(/^\/+|\/+$/g, "");
    if (!path || p.home === "/nonexistent") return [];
    if (p.fromBase && p.uid !== 0 && p.declared?.home === undefined && p.declared?.homeMode === undefined) return [];
    return [{ path, uid: p.uid, gid: p.gid, mode: p.declared?.homeMode ?? (p.uid === 0 ? 0o700 : 0o755) }];
  };
  return [...passwd.filter((p) => p.uid !== 0).flatMap(wanted), ...passwd.filter((p) => p.uid === 0).flatMap(wanted)];
}
