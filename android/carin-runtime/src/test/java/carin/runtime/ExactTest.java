package carin.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * The reading rules of {@link Exact}, with the values tests/test_runtime_exact.py checks for
 * Python's {@code carin/runtime/_exact.py}.
 */
class ExactTest {
    @Test
    void limitsAreReadAsWrittenWithoutStrings() {
        assertArrayEquals(new long[] {3, 1}, Exact.writtenDecimal(0.3));
        assertArrayEquals(new long[] {25, 0}, Exact.writtenDecimal(25.0));
        assertArrayEquals(new long[] {-125, 2}, Exact.writtenDecimal(-1.25));
        assertArrayEquals(new long[] {123456789012345L, 9}, Exact.writtenDecimal(123456.789012345));
        assertArrayEquals(new long[] {1, 7}, Exact.writtenDecimal(1e-7));
        assertNull(Exact.writtenDecimal(0.30000000000000004)); // 17 digits: the binary value
        assertNull(Exact.writtenDecimal(1e300));
    }

    @Test
    void limitUnitsFloorAndCeilAsWritten() {
        assertEquals(BigInteger.valueOf(3), Exact.limitUnits(0.35, 1, 1, true));
        assertEquals(BigInteger.valueOf(4), Exact.limitUnits(0.35, 1, 1, false));
        assertEquals(BigInteger.valueOf(435), Exact.limitUnits(4.35, 2, 1, true)); // 4.35 * 100 = 434.99999999999994
        assertEquals(BigInteger.valueOf(6), Exact.limitUnits(0.2, 1, 3, true)); // a mean over 3 tasks
        assertEquals(BigInteger.valueOf(-5), Exact.limitUnits(-0.5, 1, 1, true));
        // 0.1 + 0.2 is no short decimal: its exact binary value, 0.3000000000000000444...
        assertEquals(new BigInteger("30000000000000004"), Exact.limitUnits(0.1 + 0.2, 17, 1, true));
    }

    @Test
    void memoryBudgetsClampOutsideTheValues() {
        assertEquals(435, Exact.budgetUnits(4.35, 2, 1));
        assertEquals(3, Exact.budgetUnits(0.35, 1, 1));
        assertEquals(-1, Exact.budgetUnits(-0.5, 1, 1));
        assertEquals(-1, Exact.budgetUnits(Double.NaN, 1, 1));
        assertEquals(1L << 62, Exact.budgetUnits(Double.POSITIVE_INFINITY, 1, 1));
        assertEquals(1L << 62, Exact.budgetUnits(1e300, 12, 3));
    }

    @Test
    void factorsAtSixDecimalsHalfEven() {
        assertEquals(3e6, Exact.factorUnits(3.0), 0.0);
        assertEquals(1e6, Exact.factorUnits(1.0000004), 0.0);
        assertEquals(1000001.0, Exact.factorUnits(1.0000006), 0.0);
        assertEquals(1e6, Exact.factorUnits(0.5), 0.0);
        assertEquals(1e6, Exact.factorUnits(Double.NaN), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, Exact.factorUnits(1e308), 0.0);
    }

    @Test
    void placesAreTheSolversRule() {
        double[] values = {0.1, 74.08, 3.0, 0.00673533};
        assertEquals(8, Exact.placesOf(values, values.length, 12));
        assertEquals(12, Exact.placesOf(new double[] {0.1 + 0.2}, 1, 12));
        assertEquals(0, Exact.placesOf(new double[] {}, 0, 12));
    }
}
