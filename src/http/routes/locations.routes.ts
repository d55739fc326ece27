import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { fieldError } from '../../domain/errors.js';
import {
  createLocation,
  listLocations,
  locationViews,
  updateLocation,
} from '../../app/locations/locations.js';
import { findLocation } from '../../db/catalog.repo.js';
import { sendCreated } from '../plugins/idempotency.js';
import { problemResponses } from '../schemas/common.schema.js';
import {
  CreateLocationBody,
  LocationParams,
  LocationResponse,
  UpdateLocationBody,
} from '../schemas/location.schema.js';
import { ifMatchVersions, sendWithEtag } from './route-helpers.js';

export default async function locationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['locations'];

  app.post(
    '/locations',
    {
      schema: {
        tags,
        summary: 'Create a warehouse, store or other location',
        body: CreateLocationBody,
        response: { 201: LocationResponse, ...problemResponses },
      },
      config: { roles: can.writeLocations },
    },
    async (req, reply) =>
      sendCreated(req, reply, async (tx) => ({ status: 201, body: await createLocation(tx, req.body) })),
  );

  app.get(
    '/locations',
    {
      schema: {
        tags,
        summary: 'All locations',
        response: { 200: Type.Object({ items: Type.Array(LocationResponse) }), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async () => ({ items: await listLocations(app.database.db) }),
  );

  app.get(
    '/locations/:code',
    {
      schema: {
        tags,
        summary: 'One location with its bins',
        params: LocationParams,
        response: { 200: LocationResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req, reply) => {
      const row = await findLocation(app.database.db, req.params.code);
      if (!row) throw fieldError('NOT_FOUND', 'code', `Location ${req.params.code} does not exist.`);
      return sendWithEtag(reply, (await locationViews(app.database.db, [row]))[0]!);
    },
  );

  app.patch(
    '/locations/:code',
    {
      schema: {
        tags,
        summary: 'Change a location; bins listed are added',
        params: LocationParams,
        body: UpdateLocationBody,
        response: { 200: LocationResponse, ...problemResponses },
      },
      config: { roles: can.writeLocations, freesStock: true },
    },
    async (req, reply) => {
      const expected = ifMatchVersions(req);
      return sendWithEtag(
        reply,
        await app.database.transact((tx) => updateLocation(tx, req.params.code, req.body, expected), {
          changesRules: req.body.sellable !== undefined,
        }),
      );
    },
  );
}
