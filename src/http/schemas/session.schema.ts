/** Users and browser sessions of the web admin. */
import { Type } from 'typebox';
import { Nullable, Timestamp } from './common.schema.js';

export const UserResponse = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdAt: Timestamp,
  disabledAt: Nullable(Timestamp),
});

export const SessionResponse = Type.Object({
  principal: Type.Object({
    kind: Type.Union([Type.Literal('user'), Type.Literal('key')]),
    id: Type.String(),
    role: Type.String(),
    name: Type.String(),
  }),
  user: Nullable(UserResponse),
  csrfToken: Nullable(Type.String({ description: 'Echo in the x-csrf-token header on unsafe requests' })),
  expiresAt: Nullable(Timestamp),
});

export const SessionStatusResponse = Type.Object({
  signedIn: Type.Boolean({ description: 'Whether this request carries a live session cookie' }),
  setupRequired: Type.Boolean({ description: 'No user exists yet: create one with the admin API key' }),
});
