//! Charts drawn on the server as SVG: they need no script, take their colours from the
//! stylesheet (so the policy needs no inline style), and let the browser lay out their
//! text in any language. Each carries its figures as a table for screen readers and for
//! anyone who wants the numbers. Geometry is computed in decimals like everything else.

use maud::{Markup, html};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const WIDTH: i64 = 640;
const LABEL_WIDTH: i64 = 150;
const VALUE_WIDTH: i64 = 200;
const BAR_HEIGHT: i64 = 22;
const BAR_GAP: i64 = 8;
const COLOURS: i64 = 8;

/// One bar: its label, its length, and the figure written beside it.
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub shown: String,
}

/// Horizontal bars, longest at full width.
pub fn bars(caption: &str, value_heading: &str, bars: &[Bar]) -> Markup {
    let max = bars
        .iter()
        .map(|b| b.value)
        .fold(Decimal::ZERO, Decimal::max);
    let span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let height = (BAR_HEIGHT + BAR_GAP) * bars.len() as i64 + BAR_GAP;
    html! {
        figure.chart {
            figcaption { (caption) }
            svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {height}"))
                role="img" aria-label=(caption) {
                @for (i, bar) in bars.iter().enumerate() {
                    @let y = BAR_GAP + (BAR_HEIGHT + BAR_GAP) * i as i64;
                    @let length = scaled(bar.value, max, span).max(1);
                    text x=(LABEL_WIDTH - 8) y=(y + BAR_HEIGHT / 2 + 4) text-anchor="end" { (truncated(&bar.label, 24)) }
                    rect class=(format!("s{}", i as i64 % COLOURS)) x=(LABEL_WIDTH) y=(y) width=(length) height=(BAR_HEIGHT) rx="3" {}
                    text x=(LABEL_WIDTH + length + 6) y=(y + BAR_HEIGHT / 2 + 4) { (bar.shown) }
                }
            }
            (data_table(&[caption.to_owned(), value_heading.to_owned()],
                bars.iter().map(|b| vec![b.label.clone(), b.shown.clone()])))
        }
    }
}

/// One line of a line chart: a value (or a gap) per point of the x axis.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<Decimal>>,
}

const PLOT_LEFT: i64 = 90;
const PLOT_TOP: i64 = 12;
const PLOT_HEIGHT: i64 = 200;
const AXIS_HEIGHT: i64 = 36;

/// Lines over the same x axis (weeks, say), the y axis from zero to the largest value,
/// each tick written by `shown`.
pub fn lines(
    caption: &str,
    x_labels: &[String],
    series: &[Series],
    shown: impl Fn(Decimal) -> String,
) -> Markup {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .fold(Decimal::ZERO, Decimal::max);
    let top = if max.is_zero() { Decimal::ONE } else { max };
    let plot_width = WIDTH - PLOT_LEFT - 16;
    let steps = (x_labels.len() as i64 - 1).max(1);
    let x_of = |i: usize| PLOT_LEFT + plot_width * i as i64 / steps;
    let y_of = |v: Decimal| PLOT_TOP + PLOT_HEIGHT - scaled(v, top, PLOT_HEIGHT);
    let height = PLOT_TOP + PLOT_HEIGHT + AXIS_HEIGHT;
    // Every label when they fit, else about eight of them.
    let label_every = x_labels.len().div_ceil(8).max(1);
    let mut headings = vec![caption.to_owned()];
    headings.extend(series.iter().map(|s| s.name.clone()));
    html! {
        figure.chart {
            figcaption { (caption) }
            ul.legend {
                @for (i, s) in series.iter().enumerate() {
                    li { span class=(format!("swatch s{}", i as i64 % COLOURS)) {} (s.name) }
                }
            }
            svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {height}"))
                role="img" aria-label=(caption) {
                @for tick in 0..=4_i64 {
                    @let value = top * Decimal::from(tick) / Decimal::from(4);
                    @let y = y_of(value);
                    line.grid x1=(PLOT_LEFT) x2=(PLOT_LEFT + plot_width) y1=(y) y2=(y) {}
                    text x=(PLOT_LEFT - 6) y=(y + 4) text-anchor="end" { (shown(value)) }
                }
                line.axis x1=(PLOT_LEFT) x2=(PLOT_LEFT + plot_width) y1=(PLOT_TOP + PLOT_HEIGHT) y2=(PLOT_TOP + PLOT_HEIGHT) {}
                @for (i, label) in x_labels.iter().enumerate() {
                    @if i % label_every == 0 {
                        text x=(x_of(i)) y=(PLOT_TOP + PLOT_HEIGHT + 18) text-anchor="middle" { (label) }
                    }
                }
                @for (i, s) in series.iter().enumerate() {
                    @for run in runs(&s.values) {
                        polyline class=(format!("s{}", i as i64 % COLOURS))
                            points=(run.iter().map(|(x, v)| format!("{},{}", x_of(*x), y_of(*v))).collect::<Vec<_>>().join(" ")) {}
                        @if run.len() == 1 {
                            circle class=(format!("s{}", i as i64 % COLOURS)) cx=(x_of(run[0].0)) cy=(y_of(run[0].1)) r="3" {}
                        }
                    }
                }
            }
            (data_table(&headings, x_labels.iter().enumerate().map(|(i, label)| {
                let mut row = vec![label.clone()];
                row.extend(series.iter().map(|s| s.values.get(i).copied().flatten().map(&shown).unwrap_or_default()));
                row
            })))
        }
    }
}

/// The unbroken stretches of a series, as (x index, value).
fn runs(values: &[Option<Decimal>]) -> Vec<Vec<(usize, Decimal)>> {
    let mut runs = vec![Vec::new()];
    for (i, value) in values.iter().enumerate() {
        match value {
            Some(v) => runs.last_mut().expect("never empty").push((i, *v)),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// `value` of `max` as a share of `span` pixels, rounded; 0 for a non-positive value.
fn scaled(value: Decimal, max: Decimal, span: i64) -> i64 {
    if max <= Decimal::ZERO || value <= Decimal::ZERO {
        return 0;
    }
    (value.min(max) * Decimal::from(span) / max)
        .round()
        .to_i64()
        .unwrap_or(0)
}

fn truncated(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_owned()
    } else {
        format!("{}…", label.chars().take(chars - 1).collect::<String>())
    }
}

fn data_table(headings: &[String], rows: impl Iterator<Item = Vec<String>>) -> Markup {
    html! {
        details.data {
            summary { (headings[0]) }
            table {
                thead { tr { @for h in headings { th scope="col" { (h) } } } }
                tbody { @for row in rows { tr { @for cell in row { td { (cell) } } } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_scale_to_the_largest_value() {
        assert_eq!(scaled(Decimal::from(50), Decimal::from(100), 360), 180);
        assert_eq!(scaled(Decimal::from(100), Decimal::from(100), 360), 360);
        assert_eq!(scaled(Decimal::ZERO, Decimal::from(100), 360), 0);
        assert_eq!(scaled(Decimal::from(5), Decimal::ZERO, 360), 0);
        assert_eq!(scaled(Decimal::from(-5), Decimal::from(10), 360), 0);
    }

    #[test]
    fn gaps_break_a_line() {
        let one = Some(Decimal::ONE);
        assert_eq!(runs(&[one, one, None, one]).len(), 2);
        assert_eq!(runs(&[None, None]).len(), 0);
        assert_eq!(runs(&[None, one, None]), vec![vec![(1, Decimal::ONE)]]);
    }

    #[test]
    fn a_bar_chart_writes_every_label_and_figure_and_escapes_them() {
        let markup = bars(
            "Placed balance",
            "Balance",
            &[
                Bar {
                    label: "Acme <Recoveries>".into(),
                    value: Decimal::from(10),
                    shown: "$10.00".into(),
                },
                Bar {
                    label: "Beta".into(),
                    value: Decimal::from(5),
                    shown: "$5.00".into(),
                },
            ],
        )
        .into_string();
        assert!(markup.contains("Acme &lt;Recoveries&gt;"));
        assert!(markup.contains("$5.00"));
        assert!(markup.contains(r#"role="img""#));
        assert!(
            !markup.contains("style="),
            "the policy forbids inline styles"
        );
    }
}
