//! Spreads a report total over months and regions: weights from population
//! and a gentle growth over time, rounded by the largest-remainder method so
//! the parts add up to the total exactly.

use app::delivery::validate::Record;
use app::delivery::Month;
use app::services::Granularity;

use super::{record, Population, ReportRow};

/// Splits `total` in proportion to `weights`; the parts sum to `total`.
pub fn largest_remainder(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = quotas.iter().map(|q| q.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let missing = total - parts.iter().sum::<i64>();
    for &i in order.iter().cycle().take(missing.max(0) as usize) {
        parts[i] += 1;
    }
    parts
}

fn months(from: Month, to: Month) -> Vec<Month> {
    let mut out = vec![from];
    while *out.last().expect("non-empty") < to {
        let next = out.last().expect("non-empty").next();
        out.push(next);
    }
    out
}

/// The records of one report row; none if it has no months.
pub fn spread_row(row: &ReportRow, services: &[String], population: &Population) -> Vec<Record> {
    let (Some(from), Some(to)) = (row.from, row.to) else {
        return Vec::new();
    };
    let months = months(from, to);
    let regions: Vec<(String, f64)> = match row.granularity.unwrap_or(Granularity::Bund) {
        Granularity::Bund => vec![("DE".to_owned(), 1.0)],
        Granularity::Land => population
            .laender
            .iter()
            .map(|(k, p)| (k.clone(), *p as f64))
            .collect(),
        Granularity::Kreis | Granularity::Gemeinde => population
            .kreise
            .iter()
            .map(|(_, cell, p)| (cell.clone(), *p as f64))
            .collect(),
    };

    let mut cells = Vec::new();
    let mut weights = Vec::new();
    let span = (months.len().max(2) - 1) as f64;
    for (s, service) in services.iter().enumerate() {
        let service_weight = 1.0 / ((s + 1) as f64).powf(0.8);
        for (m, month) in months.iter().enumerate() {
            let growth = 1.0 + 0.5 * m as f64 / span;
            for (cell, region_weight) in &regions {
                cells.push((service, *month, cell));
                weights.push(service_weight * growth * region_weight);
            }
        }
    }
    let parts = largest_remainder(row.transactions, &weights);
    cells
        .into_iter()
        .zip(parts)
        .enumerate()
        .map(|(i, ((service, month, cell), count))| {
            record(i as u32 + 1, service, cell, month, count)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::largest_remainder;

    #[test]
    fn parts_add_up() {
        let parts = largest_remainder(582_310, &[3.0, 1.0, 2.5, 0.1, 7.7]);
        assert_eq!(parts.iter().sum::<i64>(), 582_310);
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(0, &[1.0]), vec![0]);
    }
}
