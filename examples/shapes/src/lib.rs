//! Example component plugin for `cargo wasmkit`.
//!
//! Demonstrates a WIT world (`example:shapes/shapes`) that exports both a
//! root function (`area`) and an interface (`geometry`), with records and a
//! variant as arguments, built for `wasm32-wasip2`. Try it with
//! `cargo wasmkit invoke shapes 'area(circle({radius: 1.0}))'`.

use std::f64::consts::PI;

wit_bindgen::generate!({
    path: "wit",
    world: "shapes",
});

use exports::example::shapes::geometry;

struct Shapes;

impl Guest for Shapes {
    fn area(s: Shape) -> f64 {
        match s {
            Shape::Circle(c) => PI * c.radius * c.radius,
            Shape::Rectangle(r) => r.width * r.height,
        }
    }
}

impl geometry::Guest for Shapes {
    fn perimeter(s: Shape) -> f64 {
        match s {
            Shape::Circle(c) => 2.0 * PI * c.radius,
            Shape::Rectangle(r) => 2.0 * (r.width + r.height),
        }
    }

    fn describe(s: Shape) -> String {
        match s {
            Shape::Circle(c) => format!("circle of radius {}", c.radius),
            Shape::Rectangle(r) => format!("rectangle {} by {}", r.width, r.height),
        }
    }
}

export!(Shapes);
