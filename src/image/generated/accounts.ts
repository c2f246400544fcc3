// /etc/passwd, /etc/group and /etc/shadow as adduser and base-passwd would have left them:
// root and nobody always, the declared users and groups, and the groups that package files
// are owned by (tty, shadow, ...) under the names the packages gave them.
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

export function makeAccounts(users: UserSpec[], groups: GroupSpec[], fileGroups: Map<number, string>, base?: BaseAccounts): Accounts {
  const passwd: { name: string; uid: number; gid: number; gecos: string; home: string; shell: string }[] = [];
  const group: { name: string; gid: number; members: string[] }[] = [];
  for (const line of (base?.passwd ?? "").split("\n")) {
    const [name, , uid, gid, gecos, home, shell] = line.split(":");
    if (name && uid !== undefined && gid !== undefined) passwd.push({ name, uid: Number(uid), gid: Number(gid), gecos: gecos ?? "", home: home ?? "/", shell: shell ?? "" });
  }
  for (const line of (base?.group ?? "").split("\n")) {
    const [name, , gid, members] = line.split(":");
    if (name && gid !== undefined) group.push({ name, gid: Number(gid), members: (members ?? "").split(",").filter(Boolean) });
  }
  const fromBase = new Set(passwd.map((p) => p.name));
  const groupsFromBase = new Set(group.map((g) => g.name));
  if (!passwd.some((p) => p.name === "root")) passwd.unshift({ name: "root", uid: 0, gid: 0, gecos: "root", home: "/root", shell: "/bin/sh" });
  if (!passwd.some((p) => p.name === "nobody")) passwd.push({ name: "nobody", uid: 65534, gid: 65534, gecos: "nobody", home: "/nonexistent", shell: "/usr/sbin/nologin" });
  if (!group.some((g) => g.name === "root")) group.unshift({ name: "root", gid: 0, members: [] });
  if (!group.some((g) => g.name === "nogroup")) group.push({ name: "nogroup", gid: 65534, members: [] });
  const taken = (what: string, name: string, other: string) =>
    new CairnError(ErrorCode.DEFINITION_INVALID, `The ${what} "${name}" clashes with ${other}.`, "Give each user and group a unique name and id (root, nobody, nogroup, 0 and 65534 are taken).");

  for (const g of groups) {
    if (groupsFromBase.has(g.name) && group.find((x) => x.name === g.name)?.gid === g.gid) continue; // the base has it already
    const clash = group.find((x) => x.name === g.name || x.gid === g.gid);
    if (clash) throw taken("group", g.name, `group "${clash.name}" (gid ${clash.gid})`);
    group.push({ name: g.name, gid: g.gid, members: [...(g.members ?? [])].sort() });
  }
  for (const u of users) {
    if (fromBase.has(u.name) && passwd.find((x) => x.name === u.name)?.uid === u.uid) continue; // the base has it already
    const clash = passwd.find((x) => x.name === u.name || x.uid === u.uid);
    if (clash) throw taken("user", u.name, `user "${clash.name}" (uid ${clash.uid})`);
    let gid = u.gid;
    if (gid === undefined) {
      // Like `useradd -U`: a group of the user's own name, with the uid as gid.
      const own = group.find((x) => x.name === u.name);
      if (own) gid = own.gid;
      else {
        if (group.some((x) => x.gid === u.uid)) throw taken("user group", u.name, `an existing group with gid ${u.uid}; set \`gid\``);
        group.push({ name: u.name, gid: u.uid, members: [] });
        gid = u.uid;
      }
    }
    passwd.push({ name: u.name, uid: u.uid, gid, gecos: u.description ?? "", home: u.home ?? "/nonexistent", shell: u.shell ?? "/usr/sbin/nologin" });
  }
  for (const [gid, name] of [...fileGroups].sort((a, b) => a[0] - b[0])) {
    if (!name || group.some((x) => x.gid === gid || x.name === name)) continue;
    group.push({ name, gid, members: [] });
  }

  const homes = passwd
    .filter((p) => p.home !== "/nonexistent" && p.uid !== 0 && !fromBase.has(p.name))
    .map((p) => ({ path: p.home.replace(/^\/+/, ""), uid: p.uid, gid: p.gid, mode: 0o755 }));
  homes.push({ path: "root", uid: 0, gid: 0, mode: 0o700 });

  return {
    passwd: passwd.map((p) => `${p.name}:x:${p.uid}:${p.gid}:${p.gecos}:${p.home}:${p.shell}\n`).join(""),
    group: group.map((g) => `${g.name}:x:${g.gid}:${g.members.join(",")}\n`).join(""),
    // Locked passwords: containers never log in with one. The last-change day stays empty (aging
    // off): 0 would mean "must change password now" and PAM (su, cron) would refuse the account.
    shadow: passwd.map((p) => `${p.name}:*::0:99999:7:::\n`).join(""),
    homes,
  };
}
