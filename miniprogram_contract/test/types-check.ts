// Compiled by `tsc` (strict) in CI: the client's types agree with the generated contract.
import { ApiError, createClient, type GetAnswer } from '../lib/index';

declare const wx: Parameters<typeof createClient>[0]["wx"];
declare function log(...values: unknown[]): void;

async function page(): Promise<void> {
  const api = createClient({ baseUrl: 'https://xz.example.cn', wx });
  const me: GetAnswer<'/api/v1/me'> = await api.get('/api/v1/me');
  const balance: number = me.balances.household_points;
  const goods = await api.get('/api/v1/shop/goods');
  const first: string | undefined = goods.items[0]?.name;
  const next: string | null = goods.next_cursor;
  const redemption = await api.redeem(goods.items[0].id);
  const code: string = redemption.code;
  const upload = api.upload('wxfile://tmp.jpg', 'grid', { onProgress: (p) => log(p) });
  upload.abort();
  try {
    await api.post('/api/v1/shop/redemptions', { goods_id: 1, quantity: 1 });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'shop.out_of_stock') log(e.detail);
  }
  log(balance, first, next, code);
}

void page;
