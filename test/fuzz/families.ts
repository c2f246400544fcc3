// Every fuzz family by name (one file per parser family), for the runner and the quick test.
import type { FuzzProperty } from "./harness.js";
import { properties as ar } from "./ar.js";
import { properties as control } from "./control.js";
import { properties as deb } from "./deb.js";
import { properties as decompress } from "./decompress.js";
import { properties as oci } from "./oci.js";
import { properties as registry } from "./registry.js";
import { properties as relations } from "./relations.js";
import { properties as release } from "./release.js";
import { properties as tar } from "./tar.js";
import { properties as version } from "./version.js";

export const families: Record<string, FuzzProperty[]> = {
  version,
  control,
  relations,
  registry,
  ar,
  tar,
  deb,
  decompress,
  release,
  oci,
};
