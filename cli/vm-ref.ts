// The disk a command names. Today an id only; the seam where names resolve
// through the inventory (branch f12-cli-lookup: `history web01`) fills `name`
// and `project` here, and every caller (history) gets them for free.
import { InvalidInputError } from '../lib/errors.ts';
import { VmId } from '../lib/naming.ts';

export interface VmRef {
  id: string;
  /** The VM's name, when the inventory was asked; undefined for an id taken as given. */
  name?: string | undefined;
  project?: string | undefined;
}

/** The disk named by `arg` (today: its id, validated), or InvalidInputError naming what was wrong. */
export function vmRefOf(arg: string, noun = 'VM'): VmRef {
  const id = VmId.safeParse(arg);
  if (!id.success) throw new InvalidInputError(`invalid ${noun} id '${arg}': expected ${id.error.issues[0]?.message}`, `Pass the ${noun}'s id (openstack server list -c ID -f value).`);
  return { id: id.data };
}
