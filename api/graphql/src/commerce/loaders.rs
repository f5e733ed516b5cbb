//! Loaders for order relations (lines, timeline, payments, refunds), one statement per wave.

use std::collections::HashMap;

use async_graphql::Context;
use async_graphql::dataloader::Loader;

use crate::batch::Batcher;
use crate::error::SharedError;
use stockade_domain::orders::{OrderEvent, OrderLine, OrderService};
use stockade_domain::payments::{Payment, PaymentService, Refund};

pub struct OrdersLoader {
    pub orders: OrderService,
    pub payments: PaymentService,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaymentsOfOrder(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefundsOfOrder(pub i64);

impl Loader<PaymentsOfOrder> for OrdersLoader {
    type Value = Vec<Payment>;
    type Error = SharedError;
    async fn load(&self, keys: &[PaymentsOfOrder]) -> Result<HashMap<PaymentsOfOrder, Vec<Payment>>, SharedError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(self.payments.payments_by_order_ids(&ids).await?.into_iter().map(|(id, v)| (PaymentsOfOrder(id), v)).collect())
    }
}

impl Loader<RefundsOfOrder> for OrdersLoader {
    type Value = Vec<Refund>;
    type Error = SharedError;
    async fn load(&self, keys: &[RefundsOfOrder]) -> Result<HashMap<RefundsOfOrder, Vec<Refund>>, SharedError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(self.payments.refunds_by_order_ids(&ids).await?.into_iter().map(|(id, v)| (RefundsOfOrder(id), v)).collect())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinesOfOrder(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventsOfOrder(pub i64);

pub fn orders_loader<'a>(ctx: &'a Context<'_>) -> &'a Batcher<OrdersLoader> {
    ctx.data_unchecked::<Batcher<OrdersLoader>>()
}

impl Loader<LinesOfOrder> for OrdersLoader {
    type Value = Vec<OrderLine>;
    type Error = SharedError;
    async fn load(&self, keys: &[LinesOfOrder]) -> Result<HashMap<LinesOfOrder, Vec<OrderLine>>, SharedError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(self.orders.lines_by_order_ids(&ids).await?.into_iter().map(|(id, v)| (LinesOfOrder(id), v)).collect())
    }
}

impl Loader<EventsOfOrder> for OrdersLoader {
    type Value = Vec<OrderEvent>;
    type Error = SharedError;
    async fn load(&self, keys: &[EventsOfOrder]) -> Result<HashMap<EventsOfOrder, Vec<OrderEvent>>, SharedError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(self.orders.events_by_order_ids(&ids).await?.into_iter().map(|(id, v)| (EventsOfOrder(id), v)).collect())
    }
}
