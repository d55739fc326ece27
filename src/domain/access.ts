/** Roles from the spec's table; each route declares which of them it admits. */
export const roles = [
  'admin',
  'warehouse',
  'procurement',
  'sales',
  'support',
  'fulfilment',
  'readonly',
] as const;
export type Role = (typeof roles)[number];

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Who is acting: an API key or a signed-in user. Recorded as `actor` on every movement. */
export type Principal = {
  readonly kind: 'key' | 'user';
  readonly id: string;
  readonly role: Role;
  readonly name: string;
};

export const actorOf = (p: Principal): string => `${p.kind}:${p.id}`;

/** Permission sets: which roles may do what. `admin` may do everything. */
export const can = {
  read: roles,
  writeCatalog: ['admin', 'procurement', 'warehouse'],
  writeLocations: ['admin', 'warehouse'],
  moveStock: ['admin', 'warehouse'],
  countStock: ['admin', 'warehouse', 'fulfilment'],
  placeOrders: ['admin', 'sales', 'support'],
  changeOrders: ['admin', 'sales', 'support'],
  reserveStock: ['admin', 'sales'],
  shipOrders: ['admin', 'fulfilment', 'warehouse'],
  manageAccess: ['admin'],
} as const satisfies Record<string, readonly Role[]>;
