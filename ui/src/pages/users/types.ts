/** Shape of worker/api/users/serialize.ts. */
import type { Role, Tracked } from '../../lib/types';

export interface User extends Tracked {
  email: string;
  name: string;
  role: Role;
  active: boolean;
  notifications: Record<string, boolean>;
}
