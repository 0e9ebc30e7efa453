// The YAML file of the `local` inventory driver (config `inventory.file`): names,
// projects and states of the disks in the Ceph pools, by disk id, for a cloud
// whose inventory is not OpenStack's (and for the local stack).
//
//   vms:     {<vm-id>: {name: web01, project: p-demo, status: ACTIVE}}
//   volumes: {<volume-id>: {…}}
//   images:  {<image-id>: {…}}
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { VmId } from '../naming.ts';

const LocalInventoryDisk = z.strictObject({
  name: z.string().default(''),
  project: z.string().min(1, 'a project id').optional(),
  status: z.string().min(1).optional(),
});

/** `vms:` with nothing under it is YAML null: the same as no disks. */
const DisksById = z
  .record(VmId, LocalInventoryDisk)
  .nullish()
  .transform((disks) => disks ?? {});

export const LocalInventoryFile = z.strictObject({
  vms: DisksById,
  volumes: DisksById,
  images: DisksById,
});
export type LocalInventoryFile = z.infer<typeof LocalInventoryFile>;

/**
 * Reads and validates the file; a missing one is an empty inventory (every disk
 * without name or project), anything else wrong is a ConfigError naming the file
 * and the key path.
 */
export function loadLocalInventoryFile(file: string): LocalInventoryFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { vms: {}, volumes: {}, images: {} };
    throw new ConfigError(`${file}: cannot read the inventory file: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = LocalInventoryFile.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      `${file}: invalid inventory file\n${z.prettifyError(parsed.error)}`,
      'Each of vms, volumes and images maps a disk id to {name, project, status}; see config/local-inventory.yaml.',
    );
  }
  return parsed.data;
}
