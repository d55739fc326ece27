/**
 * What the signed-in role may do, from the same permission sets the API enforces
 * (src/domain/access.ts). The admin hides what a role may not do; the API refuses it anyway.
 */
import { can, roles, type Role } from '../../../src/domain/access.js';

export { roles, type Role };
export type Permission = keyof typeof can;

export function allowed(role: string | undefined, permission: Permission): boolean {
  if (!role) return false;
  if (role === 'admin') return true;
  return (can[permission] as readonly string[]).includes(role);
}

export const roleLabels: Record<Role, string> = {
  admin: 'Admin',
  warehouse: 'Warehouse',
  procurement: 'Procurement',
  sales: 'Sales',
  support: 'Customer service',
  fulfilment: 'Fulfilment',
  readonly: 'Read only',
};
