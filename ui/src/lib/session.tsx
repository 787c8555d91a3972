/** Who is signed in, and what their role lets the UI offer. The API refuses the rest anyway. */
import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, Role } from './types';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface Session {
  me: Me;
  /** True when the user's role is at least `role` (and the credential may write). */
  can: (role: Role) => boolean;
  signOut: () => Promise<void>;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ value, children }: { value: Session; children: ComponentChildren }) {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function roleAtLeast(me: Me, role: Role): boolean {
  if (role !== 'viewer' && me.scope === 'read') return false;
  return RANK[me.role] >= RANK[role];
}
