//! Panels placed on Grafana's 24-column grid as the page draws them:
//! titles interpolated, and a panel with `repeat` copied once per value
//! of its variable, side by side (wrapping at `maxPerRow`) or stacked,
//! the panels below moved down to make room.

use crate::model::{Dashboard, Panel, RepeatDirection};
use crate::vars::{Resolved, Scope};

/// A panel as the page draws it: where it comes from in the dashboard,
/// its title and place (a repeated panel once per value), and the
/// variables its expressions read.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// The panel's index in [`Dashboard::panels`].
    pub index: usize,
    pub panel: Panel,
    pub scope: Scope,
}

impl Dashboard {
    /// The panels to draw with the variables resolved: titles
    /// interpolated, and a panel with `repeat` copied once per value of
    /// its variable, each copy with the variable bound to its one value,
    /// laid out as Grafana lays them (side by side at
    /// max(24 / copies, 24 / maxPerRow) columns, wrapping; or stacked),
    /// the panels below moved down to make room.
    pub fn layout(&self, resolved: &Resolved) -> Vec<Placed> {
        let mut out = Vec::new();
        // (the y a repeat pushes from, the rows it adds)
        let mut pushes: Vec<(u32, u32)> = Vec::new();
        for (index, p) in self.panels.iter().enumerate() {
            let shift: u32 = pushes
                .iter()
                .filter(|(from, _)| p.grid.y >= *from)
                .map(|(_, rows)| rows)
                .sum();
            let values = match p.repeat.as_str() {
                "" => Vec::new(),
                name => resolved
                    .scope
                    .values_of_variable(name)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default(),
            };
            if values.len() < 2 {
                let mut panel = p.clone();
                panel.grid.y += shift;
                panel.title = resolved.scope.interpolate(&p.title, None);
                out.push(Placed {
                    index,
                    panel,
                    scope: resolved.scope.clone(),
                });
                continue;
            }
            let n = values.len() as u32;
            let (mut x, mut y) = (0u32, p.grid.y + shift);
            let w = if p.repeat_direction == RepeatDirection::Vertical {
                p.grid.w
            } else {
                (24 / n).max(24 / p.max_per_row.unwrap_or(4).max(1)).max(1)
            };
            for (k, value) in values.into_iter().enumerate() {
                let scope = resolved.scope.with_one_value(&p.repeat, value);
                let mut panel = p.clone();
                panel.title = scope.interpolate(&p.title, None);
                if p.repeat_direction == RepeatDirection::Vertical {
                    panel.grid.y = p.grid.y + shift + k as u32 * p.grid.h;
                } else {
                    if k > 0 && x + w > 24 {
                        x = 0;
                        y += p.grid.h;
                    }
                    panel.grid.x = x;
                    panel.grid.w = w;
                    panel.grid.y = y;
                    x += w;
                }
                out.push(Placed {
                    index,
                    panel,
                    scope,
                });
            }
            let bottom = out.last().map_or(0, |l| l.panel.grid.y + l.panel.grid.h);
            let added = bottom.saturating_sub(p.grid.y + shift + p.grid.h);
            if added > 0 {
                pushes.push((p.grid.y + p.grid.h, added));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GridPos;
    use crate::overview::service_overview;
    use crate::vars::fixtures::var;

    #[test]
    fn repeated_panels_are_laid_out_as_grafana_does() {
        let mut d = service_overview(&["x".into()]);
        d.panels.truncate(2);
        let mut v = var("custom", "svc", "a, b, c, d, e");
        v.include_all = true;
        d.variables = vec![v];
        d.panels[0].repeat = "svc".into();
        d.panels[0].title = "Latency of $svc".into();
        d.panels[0].grid = GridPos {
            x: 0,
            y: 1,
            w: 6,
            h: 8,
        };
        d.panels[1].grid = GridPos {
            x: 0,
            y: 9,
            w: 6,
            h: 8,
        };
        let r = d.resolve(&[], &mut |_| None, (0, 1));
        let placed = d.layout(&r);
        let at: Vec<(String, u32, u32, u32)> = placed
            .iter()
            .map(|p| {
                (
                    p.panel.title.clone(),
                    p.panel.grid.x,
                    p.panel.grid.y,
                    p.panel.grid.w,
                )
            })
            .collect();
        // Five copies, four to a row (24 / 4 wide), the fifth wrapping; the
        // panel below moves down one row of copies.
        assert_eq!(
            at,
            [
                ("Latency of a".to_string(), 0, 1, 6),
                ("Latency of b".to_string(), 6, 1, 6),
                ("Latency of c".to_string(), 12, 1, 6),
                ("Latency of d".to_string(), 18, 1, 6),
                ("Latency of e".to_string(), 0, 9, 6),
                ("Traffic".to_string(), 0, 17, 6),
            ]
        );
        assert_eq!(placed[1].index, 0);
        assert_eq!(placed[1].scope.interpolate("$svc", None), "b");
        assert_eq!(placed[5].scope.interpolate("$svc", None), "(a|b|c|d|e)");
        // Stacked, and a single value: no copies.
        d.panels[0].repeat_direction = RepeatDirection::Vertical;
        let placed = d.layout(&r);
        assert_eq!((placed[4].panel.grid.y, placed[5].panel.grid.y), (33, 41));
        let one = d.resolve(&[("svc".into(), vec!["c".into()])], &mut |_| None, (0, 1));
        assert_eq!(d.layout(&one).len(), 2);
    }
}
