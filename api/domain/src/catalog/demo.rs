//! The demo catalog: a small clothing shop (men, women, kids) that the embedded default
//! starts with, so the storefront and admin app have something real to show.
//! Everything here is data; `seed` writes it.

/// `(slug, name, parent slug, description)`, parents before children.
pub const CATEGORIES: &[(&str, &str, Option<&str>, &str)] = &[
    ("men", "Men", None, "Everyday essentials and outerwear for men."),
    ("women", "Women", None, "Dresses, knitwear and tailoring for women."),
    ("kids", "Kids", None, "Hard-wearing clothes for ages 4 to 12."),
    ("men-shirts", "Shirts", Some("men"), "Oxford, flannel, linen and dress shirts."),
    ("men-t-shirts", "T-Shirts & Polos", Some("men"), "Tees and polos in organic cotton."),
    ("men-knitwear", "Knitwear", Some("men"), "Merino, cotton and fisherman knits."),
    ("men-trousers", "Trousers & Jeans", Some("men"), "Chinos, denim and joggers."),
    ("men-outerwear", "Jackets & Coats", Some("men"), "Field jackets, down and wool coats."),
    ("women-dresses", "Dresses", Some("women"), "Midi, wrap and shirt dresses."),
    ("women-tops", "Tops & Blouses", Some("women"), "Blouses, tees and sports tops."),
    ("women-knitwear", "Knitwear", Some("women"), "Cashmere, merino and chunky knits."),
    ("women-trousers", "Trousers & Jeans", Some("women"), "Denim, linen and tailored trousers."),
    ("women-outerwear", "Jackets & Coats", Some("women"), "Trench coats, quilted jackets and vests."),
    ("kids-tops", "Tops", Some("kids"), "Tees and sweatshirts for school and play."),
    ("kids-bottoms", "Bottoms", Some("kids"), "Jeans, joggers and dungarees."),
    ("kids-outerwear", "Outerwear", Some("kids"), "Rain jackets and winter coats."),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizes {
    /// XS to XL.
    Adult,
    /// Men's waist 28 to 36.
    MenWaist,
    /// Women's waist 24 to 32.
    WomenWaist,
    /// Ages 4 to 12.
    Kids,
}

impl Sizes {
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Sizes::Adult => &["XS", "S", "M", "L", "XL"],
            Sizes::MenWaist => &["28", "30", "32", "34", "36"],
            Sizes::WomenWaist => &["24", "26", "28", "30", "32"],
            Sizes::Kids => &["4Y", "6Y", "8Y", "10Y", "12Y"],
        }
    }

    /// Extra charge for the largest sizes of heavier garments, in minor units.
    pub fn surcharge(self, size: &str, base_price: i64) -> i64 {
        match (self, size) {
            (Sizes::Adult, "XL") if base_price >= 7_000 => 500,
            (Sizes::Kids, "10Y" | "12Y") => 200,
            _ => 0,
        }
    }
}

pub struct DemoProduct {
    pub name: &'static str,
    pub brand: &'static str,
    pub category: &'static str,
    /// Price of the standard sizes, in cents.
    pub price: i64,
    /// Marked down from this price (cents), if on sale.
    pub was: Option<i64>,
    pub colors: &'static [&'static str],
    pub sizes: Sizes,
    pub tags: &'static [&'static str],
    pub description: &'static str,
    pub draft: bool,
}

#[allow(clippy::too_many_arguments)] // a table row, read positionally
const fn p(
    name: &'static str,
    brand: &'static str,
    category: &'static str,
    price: i64,
    colors: &'static [&'static str],
    sizes: Sizes,
    tags: &'static [&'static str],
    description: &'static str,
) -> DemoProduct {
    DemoProduct { name, brand, category, price, was: None, colors, sizes, tags, description, draft: false }
}

const fn sale(mut product: DemoProduct, was: i64) -> DemoProduct {
    product.was = Some(was);
    product
}

const fn draft(mut product: DemoProduct) -> DemoProduct {
    product.draft = true;
    product
}

use Sizes::*;

pub const PRODUCTS: &[DemoProduct] = &[
    p(
        "Oxford Button-Down Shirt",
        "Harbor & Pine",
        "men-shirts",
        5_900,
        &["White", "Light Blue", "Pink"],
        Adult,
        &["cotton", "oxford", "classic"],
        "A crisp cotton oxford with a soft button-down collar and a tailored fit that works with chinos or a suit.",
    ),
    p(
        "Flannel Check Shirt",
        "Fieldstone",
        "men-shirts",
        6_400,
        &["Red Check", "Green Check", "Navy Check"],
        Adult,
        &["flannel", "brushed cotton", "autumn"],
        "Brushed heavyweight flannel in a classic check, with two chest pockets and a relaxed fit for layering.",
    ),
    sale(
        p(
            "Linen Camp-Collar Shirt",
            "Marlow",
            "men-shirts",
            5_200,
            &["Sand", "Sage", "White"],
            Adult,
            &["linen", "summer", "short sleeve"],
            "Breathable European linen with an open camp collar and a boxy short-sleeve cut for hot days.",
        ),
        6_900,
    ),
    p(
        "Chambray Work Shirt",
        "Northwind Supply",
        "men-shirts",
        5_400,
        &["Indigo", "Light Blue"],
        Adult,
        &["chambray", "workwear", "cotton"],
        "A rugged chambray shirt with reinforced seams and snap pockets, softening with every wash.",
    ),
    p(
        "Poplin Dress Shirt",
        "Alder & Co.",
        "men-shirts",
        7_900,
        &["White", "Light Blue"],
        Adult,
        &["poplin", "formal", "non-iron"],
        "Smooth two-ply poplin with a spread collar and easy-care finish for the office and beyond.",
    ),
    p(
        "Organic Cotton Crew Tee",
        "Northwind Supply",
        "men-t-shirts",
        2_400,
        &["White", "Black", "Heather Grey", "Navy"],
        Adult,
        &["organic cotton", "basics", "t-shirt"],
        "The everyday tee: mid-weight organic cotton jersey, a clean crew neck and a fit that keeps its shape.",
    ),
    p(
        "Pique Polo Shirt",
        "Harbor & Pine",
        "men-t-shirts",
        4_500,
        &["Navy", "White", "Forest Green"],
        Adult,
        &["polo", "pique", "cotton"],
        "Classic cotton piqué polo with a ribbed collar, two-button placket and split hem.",
    ),
    sale(
        p(
            "Heavyweight Pocket Tee",
            "Fieldstone",
            "men-t-shirts",
            2_500,
            &["Olive", "Rust", "Black"],
            Adult,
            &["heavyweight", "pocket", "t-shirt"],
            "Dense 240gsm cotton with a chest pocket and a slightly boxy fit. Built to last for years.",
        ),
        3_200,
    ),
    p(
        "Performance Running Tee",
        "Lumen Athletics",
        "men-t-shirts",
        3_800,
        &["Black", "Electric Blue", "Volt"],
        Adult,
        &["running", "quick-dry", "activewear"],
        "Lightweight quick-dry mesh with flatlock seams and reflective details for early-morning runs.",
    ),
    p(
        "Merino Crew Sweater",
        "Alder & Co.",
        "men-knitwear",
        9_800,
        &["Charcoal", "Navy", "Camel"],
        Adult,
        &["merino", "wool", "sweater"],
        "Fine-gauge extra-fine merino that is warm without bulk; ribbed cuffs and hem, machine washable.",
    ),
    p(
        "Cable Knit Fisherman Sweater",
        "Fieldstone",
        "men-knitwear",
        12_800,
        &["Ecru", "Navy"],
        Adult,
        &["wool", "cable knit", "winter"],
        "A chunky Aran-style cable knit in undyed British wool, made for cold coastal walks.",
    ),
    p(
        "Quarter-Zip Pullover",
        "Lumen Athletics",
        "men-knitwear",
        7_400,
        &["Black", "Heather Grey"],
        Adult,
        &["quarter zip", "fleece", "activewear"],
        "Soft brushed-back fleece with a quarter zip and thumbholes, for warm-ups and cool evenings.",
    ),
    sale(
        p(
            "Cotton Cardigan",
            "Marlow",
            "men-knitwear",
            6_900,
            &["Oatmeal", "Navy"],
            Adult,
            &["cardigan", "cotton", "layering"],
            "A relaxed five-button cardigan in textured cotton, ideal over a tee in spring.",
        ),
        8_900,
    ),
    p(
        "Slim Stretch Chinos",
        "Harbor & Pine",
        "men-trousers",
        6_900,
        &["Khaki", "Navy", "Olive", "Stone"],
        MenWaist,
        &["chinos", "stretch", "slim fit"],
        "Cotton twill with a touch of stretch, a slim leg and a clean flat front. Smart enough for work.",
    ),
    p(
        "Selvedge Denim Jeans",
        "Northwind Supply",
        "men-trousers",
        11_900,
        &["Raw Indigo", "Washed Blue"],
        MenWaist,
        &["denim", "selvedge", "jeans"],
        "Japanese 13.5oz selvedge denim in a straight-tapered fit that fades to your own pattern.",
    ),
    p(
        "Tapered Joggers",
        "Lumen Athletics",
        "men-trousers",
        5_500,
        &["Black", "Charcoal"],
        Adult,
        &["joggers", "loungewear", "activewear"],
        "Loopback cotton joggers with a tapered leg, zip pockets and an adjustable drawcord waist.",
    ),
    p(
        "Corduroy Trousers",
        "Fieldstone",
        "men-trousers",
        7_900,
        &["Rust", "Brown", "Navy"],
        MenWaist,
        &["corduroy", "autumn", "trousers"],
        "Eight-wale corduroy with a relaxed straight leg and a soft brushed finish.",
    ),
    p(
        "Waxed Cotton Field Jacket",
        "Fieldstone",
        "men-outerwear",
        22_900,
        &["Olive", "Navy"],
        Adult,
        &["waxed cotton", "jacket", "waterproof"],
        "Hand-waxed cotton shell with a corduroy collar, four bellows pockets and a tartan lining.",
    ),
    sale(
        p(
            "Packable Down Jacket",
            "Northwind Supply",
            "men-outerwear",
            13_900,
            &["Black", "Navy", "Red"],
            Adult,
            &["down", "packable", "lightweight"],
            "Responsibly sourced 700-fill down that packs into its own pocket. Warm, light and windproof.",
        ),
        17_900,
    ),
    p(
        "Wool Blend Overcoat",
        "Alder & Co.",
        "men-outerwear",
        27_900,
        &["Charcoal", "Camel"],
        Adult,
        &["wool", "overcoat", "tailoring"],
        "A single-breasted overcoat in Italian wool blend with a notch lapel and full lining.",
    ),
    p(
        "Waterproof Rain Shell",
        "Lumen Athletics",
        "men-outerwear",
        14_900,
        &["Black", "Yellow", "Forest Green"],
        Adult,
        &["waterproof", "rain", "hiking"],
        "Three-layer waterproof breathable shell with taped seams, pit zips and an adjustable hood.",
    ),
    p(
        "Linen Midi Dress",
        "Marlow",
        "women-dresses",
        11_900,
        &["Sand", "Black", "Terracotta"],
        Adult,
        &["linen", "dress", "summer"],
        "A sleeveless midi in washed linen with a square neck, side pockets and a fluid A-line skirt.",
    ),
    p(
        "Wrap Jersey Dress",
        "Alder & Co.",
        "women-dresses",
        8_900,
        &["Black", "Burgundy", "Emerald"],
        Adult,
        &["wrap dress", "jersey", "workwear"],
        "Soft stretch jersey in a flattering true wrap, with three-quarter sleeves. Packs without creasing.",
    ),
    p(
        "Cotton Shirt Dress",
        "Harbor & Pine",
        "women-dresses",
        9_500,
        &["White", "Light Blue", "Khaki"],
        Adult,
        &["shirt dress", "cotton", "belted"],
        "A crisp cotton poplin shirt dress with a removable self-tie belt and roll-up sleeves.",
    ),
    sale(
        p(
            "Floral Tea Dress",
            "Marlow",
            "women-dresses",
            7_400,
            &["Blue Floral", "Red Floral"],
            Adult,
            &["floral", "tea dress", "viscose"],
            "A vintage-inspired tea dress in a printed viscose crepe with a sweetheart neckline.",
        ),
        9_900,
    ),
    p(
        "Silk Blend Blouse",
        "Alder & Co.",
        "women-tops",
        8_500,
        &["Ivory", "Black", "Blush"],
        Adult,
        &["silk", "blouse", "workwear"],
        "A silk-blend blouse with a soft drape, concealed placket and a slightly longer back hem.",
    ),
    p(
        "Striped Breton Top",
        "Harbor & Pine",
        "women-tops",
        4_200,
        &["Navy Stripe", "Red Stripe"],
        Adult,
        &["breton", "stripes", "cotton"],
        "The classic Breton in heavy cotton jersey with a boat neck and three-quarter sleeves.",
    ),
    p(
        "Ribbed Tank Top",
        "Northwind Supply",
        "women-tops",
        2_200,
        &["White", "Black", "Sage"],
        Adult,
        &["tank", "ribbed", "basics"],
        "A close-fitting rib-knit tank in organic cotton and a little elastane. A layering essential.",
    ),
    p(
        "Relaxed Linen Shirt",
        "Marlow",
        "women-tops",
        6_900,
        &["White", "Sand", "Sky Blue"],
        Adult,
        &["linen", "shirt", "summer"],
        "An oversized linen shirt to wear open over swimwear or tucked into tailoring.",
    ),
    p(
        "Seamless Sports Bra",
        "Lumen Athletics",
        "women-tops",
        3_900,
        &["Black", "Lilac", "Teal"],
        Adult,
        &["sports bra", "activewear", "yoga"],
        "Medium-support seamless knit with removable pads and a wide underband for studio and gym.",
    ),
    p(
        "Cashmere V-Neck Sweater",
        "Alder & Co.",
        "women-knitwear",
        15_900,
        &["Camel", "Grey", "Black"],
        Adult,
        &["cashmere", "sweater", "luxury"],
        "Grade-A Mongolian cashmere in a relaxed V-neck, light enough to wear all year.",
    ),
    sale(
        p(
            "Chunky Cardigan",
            "Fieldstone",
            "women-knitwear",
            7_400,
            &["Oatmeal", "Forest Green"],
            Adult,
            &["cardigan", "chunky knit", "wool"],
            "An oversized shawl-collar cardigan in a chunky wool blend with patch pockets.",
        ),
        9_900,
    ),
    p(
        "Mock Neck Merino Sweater",
        "Northwind Supply",
        "women-knitwear",
        8_900,
        &["Burgundy", "Navy", "Ivory"],
        Adult,
        &["merino", "mock neck", "wool"],
        "A slim mock-neck sweater in extra-fine merino, soft enough to wear next to the skin.",
    ),
    p(
        "High-Rise Straight Jeans",
        "Northwind Supply",
        "women-trousers",
        9_900,
        &["Mid Blue", "Black", "Ecru"],
        WomenWaist,
        &["denim", "jeans", "high rise"],
        "Rigid cotton denim in a high-rise straight leg with a cropped length and raw hem.",
    ),
    p(
        "Wide-Leg Linen Trousers",
        "Marlow",
        "women-trousers",
        8_900,
        &["Sand", "Black", "White"],
        Adult,
        &["linen", "wide leg", "summer"],
        "Washed linen trousers with an elasticated back waist, pleats and a fluid wide leg.",
    ),
    p(
        "Performance Leggings",
        "Lumen Athletics",
        "women-trousers",
        6_500,
        &["Black", "Navy", "Plum"],
        Adult,
        &["leggings", "activewear", "running"],
        "Squat-proof sculpting leggings with a high waistband and a hidden key pocket.",
    ),
    p(
        "Tailored Wool Trousers",
        "Alder & Co.",
        "women-trousers",
        12_900,
        &["Charcoal", "Camel"],
        WomenWaist,
        &["wool", "tailoring", "workwear"],
        "Pressed-crease trousers in a wool blend with a high waist and a straight, full-length leg.",
    ),
    p(
        "Classic Trench Coat",
        "Alder & Co.",
        "women-outerwear",
        24_900,
        &["Stone", "Navy"],
        Adult,
        &["trench", "coat", "water repellent"],
        "A double-breasted trench in water-repellent cotton gabardine with storm flap and belt.",
    ),
    p(
        "Quilted Liner Jacket",
        "Fieldstone",
        "women-outerwear",
        13_900,
        &["Olive", "Black"],
        Adult,
        &["quilted", "jacket", "layering"],
        "Diamond-quilted jacket with recycled insulation and a corduroy-trimmed collar.",
    ),
    sale(
        p(
            "Lightweight Puffer Vest",
            "Northwind Supply",
            "women-outerwear",
            7_900,
            &["Black", "Blush", "Sage"],
            Adult,
            &["vest", "puffer", "packable"],
            "A packable puffer vest with recycled fill, a stand collar and zip hand pockets.",
        ),
        9_900,
    ),
    p(
        "Kids Graphic Tee",
        "Little Otter",
        "kids-tops",
        1_800,
        &["Yellow", "Sky Blue", "Red"],
        Kids,
        &["kids", "t-shirt", "organic cotton"],
        "Organic cotton tee with a hand-drawn otter print that survives the washing machine.",
    ),
    p(
        "Kids Striped Long-Sleeve Tee",
        "Little Otter",
        "kids-tops",
        2_200,
        &["Navy Stripe", "Red Stripe"],
        Kids,
        &["kids", "stripes", "long sleeve"],
        "A soft striped long-sleeve tee with reinforced elbows for climbing and crawling.",
    ),
    p(
        "Kids Hooded Sweatshirt",
        "Lumen Athletics",
        "kids-tops",
        3_400,
        &["Grey", "Navy", "Pink"],
        Kids,
        &["kids", "hoodie", "fleece"],
        "A cosy brushed-fleece hoodie with a kangaroo pocket and extra-long cuffs to grow into.",
    ),
    p(
        "Kids Pull-On Jeans",
        "Little Otter",
        "kids-bottoms",
        2_900,
        &["Mid Blue", "Black"],
        Kids,
        &["kids", "jeans", "denim"],
        "Stretch denim with an elasticated waist that goes on fast and moves with them.",
    ),
    p(
        "Kids Jogger Pants",
        "Little Otter",
        "kids-bottoms",
        2_400,
        &["Grey", "Navy", "Green"],
        Kids,
        &["kids", "joggers", "cotton"],
        "Soft cotton joggers with ribbed cuffs and knee patches for the playground.",
    ),
    sale(
        p(
            "Kids Cord Dungarees",
            "Fieldstone",
            "kids-bottoms",
            2_900,
            &["Mustard", "Rust"],
            Kids,
            &["kids", "dungarees", "corduroy"],
            "Baby-cord dungarees with adjustable straps, a bib pocket and snap side openings.",
        ),
        3_900,
    ),
    p(
        "Kids Rain Jacket",
        "Lumen Athletics",
        "kids-outerwear",
        4_900,
        &["Yellow", "Red", "Navy"],
        Kids,
        &["kids", "rain", "waterproof"],
        "A fully waterproof jacket with taped seams, a peaked hood and reflective trims.",
    ),
    p(
        "Kids Padded Winter Coat",
        "Northwind Supply",
        "kids-outerwear",
        7_900,
        &["Navy", "Pink", "Forest Green"],
        Kids,
        &["kids", "winter", "padded"],
        "A warm padded parka with a fleece-lined hood and a two-way zip, rated to minus ten.",
    ),
    draft(p(
        "Merino Beanie",
        "Alder & Co.",
        "men-knitwear",
        3_500,
        &["Charcoal", "Navy"],
        Adult,
        &["merino", "hat", "accessories"],
        "A rib-knit merino beanie. Coming this winter.",
    )),
];

/// A URL-safe slug: lower case, words joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Display colour for the generated demo images.
pub fn color_hex(color: &str) -> &'static str {
    let base = color.split_whitespace().next().unwrap_or(color);
    match color {
        "Light Blue" | "Sky Blue" => "#9cc3e6",
        "Heather Grey" => "#b5b5b5",
        "Forest Green" => "#2f5d3a",
        "Electric Blue" => "#1f6fff",
        "Raw Indigo" => "#26324f",
        "Washed Blue" | "Mid Blue" => "#5b7fa8",
        _ => match base {
            "White" | "Ivory" | "Ecru" => "#f3efe6",
            "Black" => "#1d1d1f",
            "Navy" => "#1f2a44",
            "Pink" | "Blush" => "#e8b4b8",
            "Red" => "#b3261e",
            "Green" | "Sage" => "#8ca37d",
            "Sand" | "Stone" | "Oatmeal" | "Khaki" => "#d2c3a3",
            "Indigo" => "#33406b",
            "Olive" => "#5f6238",
            "Rust" | "Terracotta" => "#a4502b",
            "Volt" => "#d4e83a",
            "Charcoal" | "Grey" => "#4a4a4f",
            "Camel" | "Mustard" => "#b98a4b",
            "Brown" => "#6b4a32",
            "Yellow" => "#f2c230",
            "Burgundy" | "Plum" => "#6d2538",
            "Emerald" | "Teal" => "#1f7a6b",
            "Lilac" => "#b7a3d6",
            "Blue" => "#3e64a8",
            _ => "#888888",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_shop_is_big_enough() {
        let active: Vec<_> = PRODUCTS.iter().filter(|p| !p.draft).collect();
        assert!(active.len() >= 40);
        let variants: usize = PRODUCTS.iter().map(|p| p.colors.len() * p.sizes.values().len()).sum();
        assert!(variants >= 200);
        for product in PRODUCTS {
            assert!(CATEGORIES.iter().any(|c| c.0 == product.category), "{}", product.name);
            if let Some(was) = product.was {
                assert!(was > product.price, "{}", product.name);
            }
        }
    }

    #[test]
    fn slugs_are_unique_and_clean() {
        let mut slugs: Vec<String> = PRODUCTS.iter().map(|p| slugify(p.name)).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), PRODUCTS.len());
        assert_eq!(slugify("Oxford Button-Down Shirt"), "oxford-button-down-shirt");
        assert_eq!(slugify("  T-Shirts & Polos "), "t-shirts-polos");
    }
}
