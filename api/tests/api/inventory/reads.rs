//! What the API layer reads: availability, levels, the inventory list, the ledger.

use stockade_domain::actor::Actor;
use stockade_domain::inventory::{InventoryFilter, ReserveLine};
use stockade_domain::pagination::{PageRequest, encode_cursor};

use super::{Fixture, STAFF, TTL, cart};
use crate::helpers::TestDb;

#[tokio::test]
async fn availability_and_levels_are_loaded_in_batches() {
    let fx = Fixture::new(4).await;
    let [a, b, never] = fx.variants("Tee", &["TEE-S", "TEE-M", "TEE-L"]).await[..] else { unreachable!() };
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);
    fx.inv.restock(a, east, 4, STAFF, "").await.unwrap();
    fx.inv.restock(a, main, 6, STAFF, "").await.unwrap();
    fx.inv.restock(b, main, 2, STAFF, "").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(a, 3)], &cart(1), TTL, Actor::Guest).await.unwrap();

    let available = fx.inv.available_by_variant_ids(&[a, b, never, 999_999]).await.unwrap();
    assert_eq!((available[&a], available[&b], available[&never], available[&999_999]), (7, 2, 0, 0));
    let levels = fx.inv.levels_by_variant_ids(&[a, b, never]).await.unwrap();
    let of_a: Vec<_> = levels[&a].iter().map(|l| (l.location_id, l.on_hand, l.reserved, l.version)).collect();
    assert_eq!(of_a, [(main, 6, 3, 2), (east, 4, 0, 1)], "best location first");
    assert!(!levels.contains_key(&never));
    let locations = fx.inv.locations().await.unwrap();
    assert_eq!(locations.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), ["main", "east"]);
}

#[tokio::test]
async fn the_inventory_list_filters_by_text_location_and_low_stock_in_pages() {
    let fx = Fixture::new(4).await;
    let ids = fx.variants("Wool Beanie", &["WB-RED", "WB-BLUE", "WB-GREEN"]).await;
    let [_] = fx.variants("Rain Coat", &["RC-1"]).await[..] else { unreachable!() };
    let (red, blue) = (ids[0], ids[1]);
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);
    fx.inv.restock(red, main, 100, STAFF, "").await.unwrap();
    fx.inv.restock(blue, main, 3, STAFF, "").await.unwrap();
    fx.inv.restock(blue, east, 20, STAFF, "").await.unwrap();
    fx.inv.reserve(&[ReserveLine { variant_id: blue, quantity: 18, location_id: Some(east) }], &cart(1), TTL, Actor::Guest).await.unwrap();

    let list = |filter: InventoryFilter, page: PageRequest| {
        let inv = fx.inv.clone();
        async move { inv.inventory(&filter, &page).await.unwrap() }
    };
    let skus = |page: &stockade_domain::pagination::Page<stockade_domain::inventory::InventoryItem>| {
        page.items.iter().map(|(_, i)| i.sku.clone()).collect::<Vec<_>>()
    };
    let search = |s: &str| InventoryFilter { search: Some(s.into()), ..Default::default() };

    let all = list(InventoryFilter::default(), PageRequest::first(10)).await;
    assert_eq!(skus(&all), ["RC-1", "WB-BLUE", "WB-GREEN", "WB-RED"]);
    let blue_item = &all.items[1].1;
    assert_eq!((blue_item.on_hand, blue_item.reserved, blue_item.available, blue_item.low_stock_threshold), (23, 18, 5, 5));
    assert!(blue_item.is_low_stock());
    assert_eq!(skus(&list(search("wb-"), PageRequest::first(10)).await), ["WB-BLUE", "WB-GREEN", "WB-RED"]);
    assert_eq!(skus(&list(search("BEANIE"), PageRequest::first(10)).await).len(), 3, "product name, any case");
    assert!(list(search("%"), PageRequest::first(10)).await.items.is_empty(), "LIKE wildcards are literal");

    let low = InventoryFilter { low_stock: Some(true), ..Default::default() };
    assert_eq!(skus(&list(low.clone(), PageRequest::first(10)).await), ["RC-1", "WB-BLUE", "WB-GREEN"]);
    fx.inv.set_low_stock_threshold(red, Some(150)).await.unwrap();
    assert_eq!(skus(&list(low, PageRequest::first(10)).await), ["RC-1", "WB-BLUE", "WB-GREEN", "WB-RED"]);
    let healthy = InventoryFilter { low_stock: Some(false), ..Default::default() };
    assert!(list(healthy, PageRequest::first(10)).await.items.is_empty());
    fx.inv.set_low_stock_threshold(red, None).await.unwrap();
    let at_east = InventoryFilter { location_id: Some(east), search: Some("wb".into()), ..Default::default() };
    let page = list(at_east, PageRequest::first(10)).await;
    assert_eq!(
        page.items.iter().map(|(_, i)| (i.sku.as_str(), i.on_hand, i.available)).collect::<Vec<_>>(),
        [("WB-BLUE", 20, 2), ("WB-GREEN", 0, 0), ("WB-RED", 0, 0)]
    );

    // Keyset pages, forward and back.
    let first = list(InventoryFilter::default(), PageRequest::first(2)).await;
    assert_eq!(skus(&first), ["RC-1", "WB-BLUE"]);
    assert!(first.has_next_page && !first.has_previous_page);
    let next = PageRequest::new(Some(2), Some(first.items[1].0.clone()), None, None, 100).unwrap();
    let second = list(InventoryFilter::default(), next).await;
    assert_eq!(skus(&second), ["WB-GREEN", "WB-RED"]);
    assert!(!second.has_next_page && second.has_previous_page);
    let back = PageRequest::new(None, None, Some(2), Some(second.items[0].0.clone()), 100).unwrap();
    assert_eq!(skus(&list(InventoryFilter::default(), back).await), ["RC-1", "WB-BLUE"]);
    let bad = PageRequest::new(Some(2), Some(encode_cursor(&"nope")), None, None, 100).unwrap();
    assert_eq!(fx.inv.inventory(&InventoryFilter::default(), &bad).await.unwrap_err().field(), Some("after"));
}

#[tokio::test]
async fn stock_movements_come_newest_first_in_pages() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Belt", &["BLT-1"]).await[..] else { unreachable!() };
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);
    for n in 1..=5 {
        fx.inv.restock(sku, main, n, STAFF, &format!("delivery {n}")).await.unwrap();
    }
    fx.inv.restock(sku, east, 9, STAFF, "").await.unwrap();

    let page = fx.inv.movements(sku, Some(main), &PageRequest::first(3)).await.unwrap();
    let deltas = |p: &stockade_domain::pagination::Page<stockade_domain::inventory::Movement>| {
        p.items.iter().map(|(_, m)| m.delta_on_hand).collect::<Vec<_>>()
    };
    assert_eq!(deltas(&page), [5, 4, 3]);
    assert!(page.has_next_page);
    let next = PageRequest::new(Some(3), Some(page.items[2].0.clone()), None, None, 100).unwrap();
    let rest = fx.inv.movements(sku, Some(main), &next).await.unwrap();
    assert_eq!(deltas(&rest), [2, 1]);
    assert!(!rest.has_next_page);
    assert_eq!(rest.items[1].1.note, "delivery 1");
    assert_eq!(rest.items[1].1.actor, STAFF);
    let everywhere = fx.inv.movements(sku, None, &PageRequest::first(10)).await.unwrap();
    assert_eq!(deltas(&everywhere), [9, 5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn the_demo_catalog_is_stocked_at_two_locations_and_reconciles() {
    let fx = Fixture::on(TestDb::seeded(), 4).await;
    let locations = fx.inv.locations().await.unwrap();
    assert_eq!(locations.iter().map(|l| (l.name.as_str(), l.priority)).collect::<Vec<_>>(), [("Main warehouse", 1), ("East depot", 2)]);
    let page = fx.inv.inventory(&InventoryFilter::default(), &PageRequest::first(1000)).await.unwrap();
    let items: Vec<_> = page.items.iter().map(|(_, i)| i).collect();
    assert_eq!(items.len(), 650);
    let count = |f: &dyn Fn(i64) -> bool| items.iter().filter(|i| f(i.available)).count();
    assert!((10..60).contains(&count(&|n| n == 0)), "a few sold out");
    assert!((50..150).contains(&count(&|n| (1..=4).contains(&n))), "some low");
    assert!(count(&|n| n >= 10) > 450, "mostly healthy");
    let report = fx.inv.verify().await.unwrap();
    assert!(report.is_ok() && report.levels > 900, "{report}");
}
