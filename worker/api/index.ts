/** Every /api/v1 route, one router per capability. */
import { createRouter } from '../http/router';
import { auditRoutes } from './audit';
import { authRoutes } from './auth';
import { clientRoutes } from './clients';
import { jobRoutes } from './jobs';
import { metaRoutes } from './meta';
import { policyRoutes } from './policies';
import { readyRoutes } from './ready';
import { relayRoutes } from './relays';
import { repositoryRoutes } from './repositories';
import { restoreRoutes } from './restores';
import { scheduleRoutes } from './schedules';
import { settingRoutes } from './settings';
import { statsRoutes } from './stats';
import { tokenRoutes } from './tokens';
import { userRoutes } from './users';

export function apiRoutes() {
  const api = createRouter();
  for (const routes of [metaRoutes, authRoutes, userRoutes, tokenRoutes, relayRoutes, clientRoutes, repositoryRoutes, scheduleRoutes, policyRoutes, jobRoutes, restoreRoutes, settingRoutes, statsRoutes, auditRoutes, readyRoutes]) {
    api.route('/', routes());
  }
  return api;
}
