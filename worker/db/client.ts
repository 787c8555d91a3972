import { drizzle } from 'drizzle-orm/d1';
import type { Db } from '../http/context';
import * as schema from './schema';

export function openDb(d1: D1Database): Db {
  return drizzle(d1, { schema });
}
