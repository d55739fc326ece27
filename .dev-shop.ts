import { openShop } from './test/e2e/shop.js';
const shop = await openShop('sqlite', { skus: 400 });
console.log(JSON.stringify({ url: shop.server.url, users: shop.users, password: shop.password, sku: shop.sellable[0] }));
setInterval(() => undefined, 1 << 30);
